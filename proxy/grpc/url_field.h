#pragma once
// A path variable or query parameter sets one field of a request message by its (dotted)
// name, "order.id", from text. The text becomes a one-field JSON document, {"order":{"id":"7"}},
// so the proto3 JSON mapping converts it exactly as it converts bodies.

#include <string>
#include <string_view>

namespace google::protobuf {
class Descriptor;
}

namespace causeway::grpc {

struct UrlField {
  enum class Outcome { ok, no_such_field, unusable };
  Outcome outcome = Outcome::ok;
  std::string json;   // when ok
  std::string error;  // otherwise
};

UrlField url_field_json(const google::protobuf::Descriptor& message, std::string_view dotted_name,
                        std::string_view text);

}  // namespace causeway::grpc
