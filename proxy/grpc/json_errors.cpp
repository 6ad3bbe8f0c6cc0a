#include "grpc/json_errors.h"

#include <string_view>

#include <google/protobuf/descriptor.h>

namespace causeway::grpc {

namespace pb = google::protobuf;

namespace {

constexpr std::string_view kTypeUrlPrefix = "type.googleapis.com/";

std::string enum_values(const pb::EnumDescriptor& type) {
  constexpr int kListed = 12;
  std::string text = "one of ";
  for (int i = 0; i < type.value_count() && i < kListed; ++i) text += (i ? ", " : "") + type.value(i)->name();
  if (type.value_count() > kListed) text += ", ...";
  return text;
}

// What a value of protobuf's type name ("TYPE_INT32", or a type URL) must look like in JSON.
std::string expected(const pb::Descriptor& root, std::string_view type) {
  if (type == "TYPE_INT32" || type == "TYPE_SINT32" || type == "TYPE_SFIXED32") return "a 32-bit integer";
  if (type == "TYPE_INT64" || type == "TYPE_SINT64" || type == "TYPE_SFIXED64") return "a 64-bit integer";
  if (type == "TYPE_UINT32" || type == "TYPE_FIXED32") return "an unsigned 32-bit integer";
  if (type == "TYPE_UINT64" || type == "TYPE_FIXED64") return "an unsigned 64-bit integer";
  if (type == "TYPE_FLOAT" || type == "TYPE_DOUBLE") return "a number";
  if (type == "TYPE_BOOL") return "true or false";
  if (type == "TYPE_STRING") return "a string";
  if (type == "TYPE_BYTES") return "base64-encoded bytes";
  if (type.starts_with(kTypeUrlPrefix)) type.remove_prefix(kTypeUrlPrefix.size());
  const std::string name(type);
  const pb::DescriptorPool& pool = *root.file()->pool();
  if (const pb::EnumDescriptor* found = pool.FindEnumTypeByName(name)) return enum_values(*found);
  if (name == "google.protobuf.Timestamp") return "an RFC 3339 timestamp such as \"2024-05-01T12:00:00Z\"";
  if (name == "google.protobuf.Duration") return "a duration such as \"1.5s\"";
  return "an object (" + name + ")";
}

}  // namespace

std::string describe_json_error(const pb::Descriptor& root, const std::string& message) {
  const std::string_view first_line = std::string_view(message).substr(0, message.find('\n'));

  // "(order.color): invalid value "BLUE" for type type.googleapis.com/inventory.v1.Color"
  constexpr std::string_view kInvalid = "): invalid value ";
  constexpr std::string_view kForType = " for type ";
  const auto invalid = first_line.find(kInvalid);
  const auto for_type = first_line.rfind(kForType);
  if (first_line.starts_with('(') && invalid != std::string_view::npos && for_type != std::string_view::npos &&
      for_type > invalid) {
    const std::string field(first_line.substr(1, invalid - 1));
    const std::string_view value = first_line.substr(invalid + kInvalid.size(), for_type - invalid - kInvalid.size());
    const std::string_view type = first_line.substr(for_type + kForType.size());
    // Well-known types explain themselves: "Field 'updatedAt', Invalid time format: nope".
    if (value.starts_with("Field '") && value.find(", ") != std::string_view::npos) {
      return "field '" + field + "': " + std::string(value.substr(value.find(", ") + 2));
    }
    return "field '" + field + "': expected " + expected(root, type) + ", got " + std::string(value);
  }

  constexpr std::string_view kNoField = ": Cannot find field.";
  if (first_line.ends_with(kNoField)) {
    const std::string field(first_line.substr(0, first_line.size() - kNoField.size()));
    return "field '" + field + "' does not exist in " + root.full_name();
  }
  if (first_line.find("Root element must be a message") != std::string_view::npos) {
    return "expected a JSON object (" + root.full_name() + ")";
  }
  return "invalid JSON: " + std::string(first_line);
}

}  // namespace causeway::grpc
