#pragma once
// A path variable or query parameter sets one field of a request message by its (dotted)
// name, "order.id", from text. The text becomes a one-field JSON document, {"order":{"id":"7"}},
// so the proto3 JSON mapping converts it exactly as it converts bodies.

#include <string>
#include <string_view>
#include <vector>

namespace google::protobuf {
class Descriptor;
class FieldDescriptor;
}

namespace causeway::grpc {

enum class FieldOutcome { ok, no_such_field, unusable };

// The fields a dotted name ("order.id", proto or lowerCamel names) walks through,
// outermost first; every one but the last a singular message.
struct FieldPath {
  FieldOutcome outcome = FieldOutcome::ok;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  std::string error;  // unless ok: "field 'order.x' does not exist in pkg.Request"
};
FieldPath resolve_field_path(const google::protobuf::Descriptor& message, std::string_view dotted_name);

struct UrlField {
  FieldOutcome outcome = FieldOutcome::ok;
  std::string json;   // when ok
  std::string error;  // otherwise
};

UrlField url_field_json(const google::protobuf::Descriptor& message, std::string_view dotted_name,
                        std::string_view text);

}  // namespace causeway::grpc
