#include "admin/openapi_view.h"

#include <algorithm>
#include <cctype>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace causeway::admin {

namespace json = boost::json;

namespace {

// A route without a method answers every one; these are the ones worth listing.
constexpr const char* kAnyMethod[] = {"get", "put", "post", "delete", "patch"};

json::object error_response(const std::string& why) {
  return {{"description", why},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

// {name=**} spans segments, which OpenAPI cannot say: it is written {name} and described.
std::string openapi_path(const routing::PathTemplate& path, json::array& parameters) {
  std::string out;
  for (const auto& segment : path.segments()) {
    out += '/';
    if (segment.kind == routing::PathTemplate::Kind::literal) {
      out += segment.text;
      continue;
    }
    const std::string name = segment.text.empty() ? "rest" : segment.text;
    out += '{' + name + '}';
    json::object parameter{{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
    if (segment.kind == routing::PathTemplate::Kind::rest) parameter["description"] = "the rest of the path, slashes included";
    parameters.push_back(std::move(parameter));
  }
  return out.empty() ? "/" : out;
}

json::object any_content() { return {{"*/*", {{"schema", json::object{}}}}}; }

// What a route of this mode answers, besides the errors every route can give.
json::object mode_responses(const config::Route& route) {
  json::object responses;
  switch (route.mode) {
    case config::Mode::event:
      responses["202"] = {{"description", "stored by the broker"},
                          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Accepted"}}}}}}}};
      break;
    case config::Mode::request_reply:
      responses["200"] = {{"description", "the reply (its status header, when set, is the status)"},
                          {"content", any_content()}};
      responses["202"] = {{"description", "with Prefer: respond-async: the reply will be at Location"},
                          {"headers", {{"Location", {{"schema", {{"type", "string"}}}}}}}};
      responses["default"] = {{"description", "the status the reply carried"}, {"content", any_content()}};
      responses["504"] = error_response("no reply before the route's timeout");
      break;
    case config::Mode::direct_response: {
      const auto& direct = std::get<config::DirectResponse>(route.to);
      responses[std::to_string(direct.status)] = {
          {"description", "the configured answer"},
          {"content", {{direct.content_type, {{"schema", json::object{}}, {"example", direct.body}}}}}};
      break;
    }
    case config::Mode::stream:
      responses["200"] = {{"description", "server-sent events, one per message, until the client leaves"},
                          {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
      responses["400"] = error_response("a Last-Event-ID that is not a position of the route's topic");
      break;
    case config::Mode::forward:
    case config::Mode::transcode:
      responses["default"] = {{"description", "the upstream's answer"}, {"content", any_content()}};
      responses["502"] = error_response("the upstream refused, reset, or answered garbage");
      responses["504"] = error_response("no upstream answer before the timeout");
      break;
    default:
      break;
  }
  if (!responses.contains("400")) responses["400"] = error_response("malformed request, or a body that does not transcode");
  responses["408"] = error_response("the client was too slow sending headers or body");
  responses["413"] = error_response("body over the listener's limit");
  responses["431"] = error_response("headers over the listener's limit");
  if (route.limits.concurrency || route.limits.rate) responses["429"] = error_response("the route's limit (Retry-After)");
  responses["503"] = error_response("broker unavailable, queue full, too many pending replies, or draining");
  return responses;
}

// `one_method`: the route has a single operation, which then goes by the route's name.
json::object operation(const config::Route& route, const std::string& method, bool one_method,
                       const json::array& parameters) {
  json::object op{{"operationId", one_method ? route.name : route.name + "." + method},
                  {"summary", route.name + " (" + std::string(config::to_string(route.mode)) + ")"},
                  {"responses", mode_responses(route)}};
  if (!parameters.empty()) op["parameters"] = parameters;
  if (method != "get" && method != "delete" && method != "head" && route.mode != config::Mode::direct_response) {
    const bool json_body = route.mode == config::Mode::transcode;
    op["requestBody"] = {{"content", json_body ? json::object{{"application/json", {{"schema", json::object{}}}}}
                                               : any_content()}};
  }
  return op;
}

// A SOAP endpoint's contract is its WSDL; OpenAPI can only point there.
json::object soap_operation(const config::Route& route, const std::string& path) {
  json::object envelope{{"schema", {{"type", "string"}}}};
  json::object soap_media{{"text/xml", envelope}, {"application/soap+xml", envelope}};
  json::object responses{
      {"200", {{"description", "the operation's output envelope"}, {"content", soap_media}}},
      {"202", {{"description", "a one-way operation: taken"}}},
      {"500", {{"description", "a SOAP 1.1 fault (soap:Client or soap:Server)"}, {"content", soap_media}}},
      {"default", {{"description", "a SOAP 1.2 fault, with the status of its cause"}, {"content", soap_media}}}};
  const auto& soap = *route.http_source()->soap;
  return {{"operationId", route.name},
          {"summary", route.name + " (SOAP " + soap.service + "." + soap.operation + ")"},
          {"description", "SOAP 1.1 or 1.2; the operations and their messages are in the WSDL at " + path + "?wsdl"},
          {"requestBody", {{"content", soap_media}}},
          {"responses", std::move(responses)}};
}

json::object components() {
  json::object error{{"type", "object"},
                     {"required", json::array{"error", "message"}},
                     {"properties", {{"error", {{"type", "string"}}},
                                     {"message", {{"type", "string"}}},
                                     {"route", {{"type", "string"}}}}}};
  // Kafka names topic, partition and offset; RabbitMQ exchange and routing key.
  json::object accepted{{"type", "object"},
                        {"required", json::array{"id"}},
                        {"properties", {{"id", {{"type", "string"}}},
                                        {"topic", {{"type", "string"}}},
                                        {"partition", {{"type", "integer"}}},
                                        {"offset", {{"type", "integer"}}},
                                        {"exchange", {{"type", "string"}}},
                                        {"routing_key", {{"type", "string"}}}}}};
  return {{"schemas", {{"Error", std::move(error)}, {"Accepted", std::move(accepted)}}}};
}

}  // namespace

std::string openapi_json(const config::Config& config, const RuntimeFacts& facts) {
  json::object paths;
  for (const auto& route : config.routes) {
    const auto* http = route.http_source();
    if (!http || http->rpc || http->annotated) continue;
    json::array parameters;
    const auto soap_path = facts.soap_paths.find(route.name);
    if (http->soap && soap_path == facts.soap_paths.end()) continue;
    const std::string path = openapi_path(http->soap ? routing::PathTemplate::parse(soap_path->second) : http->path,
                                          parameters);
    auto& item = paths[path];
    if (!item.is_object()) item = json::object{};
    auto& operations = item.as_object();
    auto bound = facts.listener_addresses.find(http->listener);
    if (bound != facts.listener_addresses.end() && !operations.contains("servers")) {
      operations["servers"] = json::array{json::object{{"url", "http://" + bound->second},
                                                       {"description", "listener " + http->listener}}};
    }
    if (http->soap) {
      // Several operations may share the endpoint: the first is described, the WSDL has all.
      if (!operations.contains("post")) {
        operations["post"] = soap_operation(route, soap_path->second);
        if (!parameters.empty()) operations["post"].as_object()["parameters"] = parameters;
      }
      continue;
    }
    std::vector<std::string> methods;
    if (http->method) {
      std::string method = *http->method;
      std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
      methods.push_back(method);
    } else {
      methods.assign(std::begin(kAnyMethod), std::end(kAnyMethod));
    }
    for (const auto& method : methods) {
      // Two routes on one path and method from different listeners: the first is described.
      if (operations.contains(method)) continue;
      operations[method] = operation(route, method, methods.size() == 1, parameters);
    }
  }
  json::object out{{"openapi", "3.1.0"},
                   {"info", {{"title", "Causeway HTTP routes"},
                             {"version", facts.version.empty() ? "unknown" : facts.version},
                             {"description", "Generated from " + config.file}}},
                   {"paths", std::move(paths)},
                   {"components", components()}};
  return json::serialize(out);
}

}  // namespace causeway::admin
