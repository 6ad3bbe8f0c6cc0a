#include "grpc/http_rule.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/unknown_field_set.h>

#include "google/api/annotations.pb.h"
#include "grpc/proto_catalog.h"
#include "grpc/url_field.h"

namespace causeway::grpc {

namespace {


// The option's bytes. Whether protobuf parsed it as a known extension or kept it as an
// unknown field depends on what is linked in, so look at the wire form, which is the same.
std::string http_option_bytes(const google::protobuf::MethodOptions& options) {
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(options.SerializeAsString())) return {};
  std::string bytes;
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& field = fields.field(i);
    // Repeated occurrences of a message field merge, so concatenate them.
    if (field.number() == google::api::kHttpFieldNumber && field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      bytes += field.length_delimited();
    }
  }
  return bytes;
}

[[noreturn]] void reject(const google::protobuf::MethodDescriptor& method, const std::string& why) {
  throw CatalogError(method.file()->name() + ": method " + method.service()->full_name() + "/" + method.name() +
                     ": google.api.http " + why);
}

void check_field(const google::protobuf::MethodDescriptor& method, const google::protobuf::Descriptor& message,
                 const std::string& name, const char* what) {
  if (name.empty() || name == "*") return;
  if (!message.FindFieldByName(name)) {
    reject(method, std::string(what) + " '" + name + "' is not a field of " + message.full_name());
  }
}

// Every {variable} of a path template names a (dotted) field of the request.
void check_variables(const google::protobuf::MethodDescriptor& method, const std::string& path) {
  for (auto open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    const auto end = path.find_first_of("=}", open);
    if (end == std::string::npos) reject(method, "path '" + path + "' has an unclosed '{'");
    const std::string variable = path.substr(open + 1, end - open - 1);
    const FieldPath field = resolve_field_path(*method.input_type(), variable);
    if (field.outcome != FieldOutcome::ok) reject(method, "path variable '" + variable + "': " + field.error);
  }
}

HttpRule binding(std::string method, std::string path) {
  HttpRule rule;
  rule.method = std::move(method);
  rule.path = std::move(path);
  return rule;
}

HttpRule convert(const google::protobuf::MethodDescriptor& method, const google::api::HttpRule& rule, bool additional) {
  HttpRule out;
  using Pattern = google::api::HttpRule::PatternCase;
  switch (rule.pattern_case()) {
    case Pattern::kGet: out = binding("GET", rule.get()); break;
    case Pattern::kPut: out = binding("PUT", rule.put()); break;
    case Pattern::kPost: out = binding("POST", rule.post()); break;
    case Pattern::kDelete: out = binding("DELETE", rule.delete_()); break;
    case Pattern::kPatch: out = binding("PATCH", rule.patch()); break;
    case Pattern::kCustom: out = binding(rule.custom().kind(), rule.custom().path()); break;
    case Pattern::PATTERN_NOT_SET: reject(method, "has no verb and path (get, put, post, delete, patch or custom)");
  }
  if (out.method.empty()) reject(method, "custom binding has no kind");
  if (out.path.empty() || out.path.front() != '/') reject(method, "path '" + out.path + "' does not start with '/'");
  check_variables(method, out.path);
  out.body = rule.body();
  out.response_body = rule.response_body();
  out.additional = additional;
  check_field(method, *method.input_type(), out.body, "body");
  check_field(method, *method.output_type(), out.response_body, "response_body");
  return out;
}

}  // namespace

std::vector<HttpRule> http_rules_of(const google::protobuf::MethodDescriptor& method) {
  const std::string bytes = http_option_bytes(method.options());
  if (bytes.empty()) return {};
  google::api::HttpRule rule;
  if (!rule.ParseFromString(bytes)) reject(method, "option does not parse as a google.api.HttpRule");

  std::vector<HttpRule> rules{convert(method, rule, false)};
  for (const auto& binding : rule.additional_bindings()) {
    if (binding.additional_bindings_size() > 0) reject(method, "additional_bindings may not nest");
    rules.push_back(convert(method, binding, true));
  }
  return rules;
}

}  // namespace causeway::grpc
