#include "grpc/rest_transcoding.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <google/protobuf/descriptor.h>

#include "grpc/proto_catalog.h"
#include "grpc/url_field.h"
#include "routing/path.h"

namespace causeway::grpc {

namespace pb = google::protobuf;

namespace {

bool blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// The body for one field of the message: {"<field>": <body>}. The body is parsed first so
// that it is one JSON value and nothing else; pasted as text, `{...}, "quantity": 9` would
// smuggle in fields next to the one the binding names.
Transcoded field_body(const MessageType& input, std::string_view field_name, std::string_view body,
                      const JsonOptions& options) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(body, error);
  if (error) return {{}, "invalid JSON: " + error.message()};
  boost::json::object wrapper;
  wrapper[field_name] = std::move(value);
  return json_to_proto(input, boost::json::serialize(wrapper), options);
}

// Appends the piece for one URL field. Protobuf messages merge when concatenated (a
// singular field: the last value; repeated: both; messages: field by field), so each
// piece is converted alone and the bytes are appended: errors point at one parameter.
std::string add_url_field(const MessageType& input, const FieldValue& field, std::string_view what,
                          bool skip_unknown, std::string& bytes) {
  const UrlField piece = url_field_json(*input.descriptor, field.field, field.value);
  if (piece.outcome == FieldOutcome::no_such_field && skip_unknown) return {};
  if (piece.outcome != FieldOutcome::ok) return std::string(what) + " '" + field.field + "': " + piece.error;
  const Transcoded converted = json_to_proto(input, piece.json);
  if (!converted.ok()) {
    // "field 'x': expected ..." -> "query parameter 'x': expected ..."
    std::string detail = converted.error;
    const std::string prefix = "field '";
    if (detail.starts_with(prefix)) {
      const auto end = detail.find("': ");
      if (end != std::string::npos) detail = detail.substr(end + 3);
    }
    return std::string(what) + " '" + field.field + "': " + detail;
  }
  bytes += converted.data;
  return {};
}

// The JSON of a field that proto3 JSON leaves out because it holds its default value.
std::string default_json(const pb::FieldDescriptor& field) {
  if (field.is_map()) return "{}";
  if (field.is_repeated()) return "[]";
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: return "{}";
    case pb::FieldDescriptor::CPPTYPE_STRING: return "\"\"";
    case pb::FieldDescriptor::CPPTYPE_BOOL: return "false";
    case pb::FieldDescriptor::CPPTYPE_ENUM: return "\"" + field.enum_type()->value(0)->name() + "\"";
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT64: return "\"0\"";  // 64-bit integers are strings in proto3 JSON
    default: return "0";
  }
}

}  // namespace

Transcoded rest_to_proto(const MessageType& input, const RestRequest& request, const JsonOptions& options) {
  Transcoded out;
  if (request.body_field == "*") {
    if (!blank(request.body)) out = json_to_proto(input, request.body, options);
  } else if (!request.body_field.empty() && !blank(request.body)) {
    out = field_body(input, request.body_field, request.body, options);
  }
  if (!out.ok()) return out;

  if (request.body_field != "*" && !request.query.empty()) {
    QueryParameters query = parse_query(request.query);
    if (!query.error.empty()) return {{}, query.error};
    for (const auto& parameter : query.parameters) {
      const bool bound_by_path =
          std::any_of(request.path_variables.begin(), request.path_variables.end(),
                      [&](const FieldValue& variable) { return variable.field == parameter.field; });
      if (bound_by_path) continue;
      std::string error = add_url_field(input, parameter, "query parameter", true, out.data);
      if (!error.empty()) return {{}, std::move(error)};
    }
  }
  for (const auto& variable : request.path_variables) {
    std::string error = add_url_field(input, variable, "path variable", false, out.data);
    if (!error.empty()) return {{}, std::move(error)};
  }
  return out;
}

Transcoded proto_to_rest(const MessageType& output, std::string_view bytes, std::string_view response_body,
                         const JsonOptions& options) {
  Transcoded whole = proto_to_json(output, bytes, options);
  if (!whole.ok() || response_body.empty()) return whole;

  const pb::FieldDescriptor* field = output.descriptor->FindFieldByName(std::string(response_body));
  if (!field) return {{}, "response_body '" + std::string(response_body) + "' is not a field of " + output.descriptor->full_name()};
  const std::string& key = options.proto_field_names ? field->name() : field->json_name();
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(whole.data, error);
  const boost::json::object* object = error ? nullptr : parsed.if_object();
  if (!object) return {{}, "the JSON of " + output.descriptor->full_name() + " is not an object"};
  const boost::json::value* member = object->if_contains(key);
  return {member ? boost::json::serialize(*member) : default_json(*field), {}};
}

QueryParameters parse_query(std::string_view query) {
  QueryParameters out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    std::string name(pair.substr(0, equals));
    std::string value(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    std::replace(name.begin(), name.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    auto decoded_name = routing::percent_decode(name);
    auto decoded_value = routing::percent_decode(value);
    if (!decoded_name || !decoded_value) {
      out.error = "query parameter '" + std::string(pair) + "': malformed percent-escape";
      return out;
    }
    out.parameters.push_back({std::move(*decoded_name), std::move(*decoded_value)});
  }
  return out;
}

}  // namespace causeway::grpc
