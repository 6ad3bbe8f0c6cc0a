#include "grpc/json_transcoding.h"

#include <memory>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/wire_format_lite.h>
#include <google/protobuf/util/json_util.h>

#include "grpc/json_errors.h"
#include "grpc/proto_catalog.h"

namespace causeway::grpc {

namespace pb = google::protobuf;

Transcoded json_to_proto(const MessageType& type, std::string_view json, const JsonOptions& options) {
  pb::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = options.ignore_unknown_fields;
  Transcoded out;
  const auto status = pb::util::JsonToBinaryString(type.resolver, type.type_url, pb::StringPiece(json.data(), json.size()),
                                                   &out.data, parse);
  if (!status.ok()) {
    out.data.clear();
    out.error = describe_json_error(*type.descriptor, std::string(status.message()));
  }
  return out;
}

std::string malformed(const MessageType& type, std::string_view bytes) {
  pb::io::CodedInputStream wire(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  if (pb::internal::WireFormatLite::SkipMessage(&wire) && wire.ConsumedEntireMessage()) return {};
  return "not a valid " + type.descriptor->full_name() + " message: the protobuf bytes are malformed";
}

Transcoded proto_to_json(const MessageType& type, std::string_view bytes, const JsonOptions& options) {
  pb::util::JsonPrintOptions print;
  print.preserve_proto_field_names = options.proto_field_names;
  print.always_print_primitive_fields = options.emit_defaults;
  Transcoded out;
  // The converter stops quietly at bytes it cannot read; a garbled message must not pass for "{}".
  out.error = malformed(type, bytes);
  if (!out.ok()) return out;
  // The converter walks the wire as it is: a field sent twice would be printed twice, a
  // duplicate key that JSON readers resolve by dropping one. Parsing first merges it.
  std::unique_ptr<pb::Message> message(type.prototype->New());
  if (!message->ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    out.error = "not a valid " + type.descriptor->full_name() +
                " message: a field's bytes do not fit its type (a string that is not UTF-8, a sub-message that does not parse)";
    return out;
  }
  const std::string merged = message->SerializePartialAsString();
  pb::io::ArrayInputStream input(merged.data(), static_cast<int>(merged.size()));
  pb::io::StringOutputStream output(&out.data);
  const auto status = pb::util::BinaryToJsonStream(type.resolver, type.type_url, &input, &output, print);
  if (!status.ok()) {
    out.data.clear();
    out.error = "not a valid " + type.descriptor->full_name() + " message: " + std::string(status.message());
  }
  return out;
}

}  // namespace causeway::grpc
