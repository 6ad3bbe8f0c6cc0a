#pragma once
// Protobuf bytes <-> JSON for one message type, by the proto3 JSON mapping: request and
// response bodies of REST routes, and event payloads with `encoding: json`. Pure
// functions for the data path: they never throw for bad input, they say what did not fit.

#include <string>
#include <string_view>

namespace causeway::grpc {

struct MessageType;

struct JsonOptions {
  bool proto_field_names = false;      // output: names as in the .proto ("page_size"), not lowerCamel ("pageSize")
  bool emit_defaults = false;          // output: also fields at their default value (0, "", [])
  bool ignore_unknown_fields = false;  // input: keys the message does not have are skipped, not rejected
};

struct Transcoded {
  std::string data;   // protobuf bytes or JSON text
  std::string error;  // what did not fit, e.g. "field 'quantity': expected a 32-bit integer, got \"abc\""
  bool ok() const { return error.empty(); }
};

// Why `bytes` cannot be a message of `type` on the wire, or "" when they can.
std::string malformed(const MessageType& type, std::string_view bytes);

Transcoded json_to_proto(const MessageType& type, std::string_view json, const JsonOptions& options = {});
Transcoded proto_to_json(const MessageType& type, std::string_view bytes, const JsonOptions& options = {});

}  // namespace causeway::grpc
