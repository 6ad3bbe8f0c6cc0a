#pragma once
// A REST call <-> the messages of a gRPC method, as google.api.http bindings describe
// (and as grpc-gateway and Envoy's transcoder do it): the JSON body fills the whole request
// or one field of it, path variables and query parameters set fields by (dotted) name,
// and the response, or one field of it, becomes the JSON body.

#include <string>
#include <string_view>
#include <vector>

#include "grpc/json_transcoding.h"

namespace causeway::grpc {

struct MessageType;

// A field set from the URL: a path variable ("sku", "order.id") and its decoded value.
struct FieldValue {
  std::string field;
  std::string value;
};

struct RestRequest {
  std::string_view body;               // JSON; empty or blank means no fields
  std::string_view body_field = "*";   // "*": the whole message; "": no body (ignored); else a top-level field
  std::vector<FieldValue> path_variables;
  std::string_view query;              // raw and percent-encoded: "page_size=2&tags=a&tags=b&filter.color=RED"
};

// Path variables win over the body and the query. Query parameters fill the fields the body
// does not carry: none with body "*", as the binding rules say; parameters naming no field
// are skipped (like access_token), a repeated parameter adds elements, and for a singular
// field the last one counts. Errors name what did not fit: "path variable 'sku': ...",
// "query parameter 'page_size': expected a 32-bit integer, got \"x\"", "field 'order.color': ...".
Transcoded rest_to_proto(const MessageType& input, const RestRequest& request, const JsonOptions& options = {});

// The response message as a REST body: all of it, or only `response_body` (a field name).
Transcoded proto_to_rest(const MessageType& output, std::string_view bytes, std::string_view response_body = {},
                         const JsonOptions& options = {});

// "a=1&b=x%20y&b=z" -> {a,1} {b,x y} {b,z} ('+' is a space); nullopt-like error on a bad escape.
struct QueryParameters {
  std::vector<FieldValue> parameters;
  std::string error;
};
QueryParameters parse_query(std::string_view query);

}  // namespace causeway::grpc
