#pragma once
// google.api.http bindings of a method (google/api/http.proto): how a REST call reaches it.

#include <string>
#include <vector>

namespace google::protobuf {
class MethodDescriptor;
}

namespace causeway::grpc {

struct HttpRule {
  std::string method;         // "GET", "POST", "PUT", "DELETE", "PATCH", or a custom kind
  std::string path;           // the path template as written: "/v1/items/{sku}"
  std::string body;           // "*": the whole request message; "": no body; else a field of the request
  std::string response_body;  // "": the whole response message; else a field of the response
  bool additional = false;    // from additional_bindings
};

// The rules of a method, primary first; none when it has no google.api.http option.
// Throws CatalogError when a rule names no pattern or a body field the messages lack.
std::vector<HttpRule> http_rules_of(const google::protobuf::MethodDescriptor& method);

}  // namespace causeway::grpc
