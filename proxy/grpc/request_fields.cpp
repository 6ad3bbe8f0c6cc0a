#include "grpc/request_fields.h"

#include <memory>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "grpc/proto_catalog.h"

namespace causeway::grpc {

namespace pb = google::protobuf;

namespace {

std::string field_names(const pb::Descriptor& type) {
  std::string names;
  for (int i = 0; i < type.field_count(); ++i) names += (i ? ", " : "") + type.field(i)->name();
  return names;
}

std::string text_of(const pb::Message& message, const pb::FieldDescriptor& field) {
  const pb::Reflection& reflection = *message.GetReflection();
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING: return reflection.GetString(message, &field);
    case pb::FieldDescriptor::CPPTYPE_INT32: return std::to_string(reflection.GetInt32(message, &field));
    case pb::FieldDescriptor::CPPTYPE_INT64: return std::to_string(reflection.GetInt64(message, &field));
    case pb::FieldDescriptor::CPPTYPE_UINT32: return std::to_string(reflection.GetUInt32(message, &field));
    case pb::FieldDescriptor::CPPTYPE_UINT64: return std::to_string(reflection.GetUInt64(message, &field));
    case pb::FieldDescriptor::CPPTYPE_BOOL: return reflection.GetBool(message, &field) ? "true" : "false";
    case pb::FieldDescriptor::CPPTYPE_ENUM: return reflection.GetEnum(message, &field)->name();
    default: return {};  // refused by key_field_problem()
  }
}

}  // namespace

std::string key_field_problem(const MessageType& type, std::string_view field) {
  const pb::FieldDescriptor* found = type.descriptor->FindFieldByName(std::string(field));
  if (!found) {
    return "variable '" + std::string(field) + "' is not a field of " + type.descriptor->full_name() + " (fields: " +
           field_names(*type.descriptor) + ")";
  }
  const auto kind = found->cpp_type();
  if (found->is_repeated() || kind == pb::FieldDescriptor::CPPTYPE_MESSAGE || kind == pb::FieldDescriptor::CPPTYPE_FLOAT ||
      kind == pb::FieldDescriptor::CPPTYPE_DOUBLE || found->type() == pb::FieldDescriptor::TYPE_BYTES) {
    return "variable '" + std::string(field) + "': field " + found->full_name() +
           " is not a single string, integer, bool or enum";
  }
  return {};
}

std::optional<routing::Captures> field_captures(const MessageType& type, std::string_view bytes,
                                                const std::vector<std::string>& fields) {
  std::unique_ptr<pb::Message> message(type.prototype->New());
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  routing::Captures captures;
  for (const std::string& name : fields) {
    const pb::FieldDescriptor* field = type.descriptor->FindFieldByName(name);
    captures.push_back({name, field ? text_of(*message, *field) : std::string()});
  }
  return captures;
}

}  // namespace causeway::grpc
