#include "grpc/grpc_flows.h"

#include <algorithm>
#include <array>
#include <optional>

#include <boost/json/parse.hpp>

#include "bridge/failure.h"
#include "bridge/trace_context.h"
#include "grpc/grpc_answer.h"
#include "grpc/grpc_timeout.h"
#include "grpc/grpc_upstream.h"
#include "grpc/grpc_stream_flow.h"
#include "grpc/json_transcoding.h"
#include "grpc/proto_catalog.h"
#include "grpc/rest_transcoding.h"
#include "grpc/transcode_errors.h"
#include "http/upstream_client.h"
#include "metrics/registry.h"

namespace causeway::grpc {

namespace {

using bridge::Failure;
using bridge::failure_response;
using bridge::Headers;
using bridge::Response;

constexpr std::string_view kProtobuf = "application/protobuf";
constexpr std::string_view kJson = "application/json";

void set_header(Headers& headers, std::string_view name, std::string value) {
  std::erase_if(headers, [&](const bridge::Header& header) { return header.name == name; });
  headers.push_back({std::string(name), std::move(value)});
}

// The metadata passed on to the next hop: the caller's, with the trace continued.
Headers onward_headers(const Headers& in) {
  Headers out;
  for (const auto& header : in) {
    if (header.name == "traceparent" || header.name == "tracestate" || header.name == kTimeoutHeader) continue;
    out.push_back(header);
  }
  auto trace = bridge::continue_trace(bridge::find_header(in, "traceparent"), bridge::find_header(in, "tracestate"));
  out.push_back({"traceparent", std::move(trace.traceparent)});
  if (trace.tracestate) out.push_back({"tracestate", std::move(*trace.tracestate)});
  return out;
}

// The shorter of the caller's deadline (grpc-timeout) and the route's timeout.
std::optional<std::chrono::milliseconds> call_timeout(const Headers& headers, std::optional<config::Duration> route) {
  std::optional<std::chrono::milliseconds> caller;
  if (const std::string* text = bridge::find_header(headers, kTimeoutHeader)) caller = parse_timeout(*text);
  if (caller && route) return std::min(*caller, *route);
  return caller ? caller : route;
}

Response no_method(const std::string& path) {
  return failure_response(Failure::not_found, "no method " + path + " in the loaded protos");
}

Response message_response(std::string bytes) {
  Response response;
  response.headers.push_back({"content-type", std::string(kProtobuf)});
  response.body = std::move(bytes);
  return response;
}

// gRPC listener -> topic: the plain event or request-reply flow with gRPC messages.
class TopicFromGrpc : public bridge::Flow {
 public:
  TopicFromGrpc(const config::Route& route, const GrpcFlowResources& resources, std::unique_ptr<bridge::Flow> plain)
      : route_(route), catalog_(resources.catalog), plain_(std::move(plain)), errors_(*resources.registry, route.name) {}

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    const RpcMethod* method = catalog_->find_method(request.path);
    if (!method) return respond(no_method(request.path));
    const bool json = route_.encoding == config::Encoding::json;
    if (json) {
      auto converted = proto_to_json(method->input, request.body);
      if (!converted.ok()) return respond(errors_.refused(converted.error, route_.name));
      request.body = std::move(converted.data);
      set_header(request.headers, "content-type", std::string(kJson));
    } else if (auto error = malformed(method->input, request.body); !error.empty()) {
      return respond(errors_.refused(error, route_.name));
    }
    // A gRPC caller waits for its answer: no 202 + Location to poll.
    std::erase_if(request.headers, [](const bridge::Header& header) { return header.name == "prefer"; });
    const bool reply = route_.mode == config::Mode::request_reply;
    bridge::Responder answer([respond, method, reply, json, errors = errors_, route = route_.name](Response response) {
      if (response.status / 100 != 2) return respond(std::move(response));
      if (!reply) return respond(event_answer(std::move(response)));
      Transcoded out;
      if (json) {
        out = json_to_proto(method->output, response.body, {.ignore_unknown_fields = true});
      } else {
        out.error = malformed(method->output, response.body);
        out.data = std::move(response.body);
      }
      if (!out.ok()) {
        errors.response->inc();
        return respond(failure_response(Failure::internal, "the reply is not a " + std::string(method->output.name()) +
                                                               ": " + out.error, route));
      }
      auto message = message_response(std::move(out.data));
      for (auto& header : response.headers) {
        if (header.name != "content-type") message.headers.push_back(std::move(header));
      }
      respond(std::move(message));
    });
    plain_->handle(std::move(request), std::move(captures), std::move(answer));
  }

 private:
  // The event's 202 {"id","topic","partition","offset"} as an empty response message
  // (every field at its default) with the same facts as metadata.
  static Response event_answer(Response accepted) {
    auto answer = message_response({});
    boost::system::error_code error;
    const auto json = boost::json::parse(accepted.body, error);
    if (const auto* facts = error ? nullptr : json.if_object()) {
      for (std::string_view field : {"id", "topic", "partition", "offset"}) {
        const auto* value = facts->if_contains(field);
        if (!value) continue;
        const std::string text = value->is_string() ? std::string(value->as_string())
                                 : value->is_int64() ? std::to_string(value->as_int64())
                                                     : std::string();
        if (!text.empty()) answer.headers.push_back({"causeway-" + std::string(field), text});
      }
    }
    return answer;
  }

  const config::Route& route_;
  std::shared_ptr<const ProtoCatalog> catalog_;
  std::unique_ptr<bridge::Flow> plain_;
  TranscodeErrors errors_;
};

// gRPC listener -> HTTP upstream: the request message as JSON, the JSON answer as the response message.
class GrpcToHttp : public bridge::Flow {
 public:
  GrpcToHttp(const config::Route& route, const GrpcFlowResources& resources)
      : route_(route),
        target_(std::get<config::UpstreamTarget>(route.to)),
        catalog_(resources.catalog),
        upstream_(resources.http_upstream(target_.upstream)),
        errors_(*resources.registry, route.name) {}

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    const RpcMethod* method = catalog_->find_method(request.path);
    if (!method) return respond(no_method(request.path));
    auto json = proto_to_json(method->input, request.body);
    if (!json.ok()) return respond(errors_.refused(json.error, route_.name));
    http::UpstreamRequest out;
    out.method = target_.method.value_or("POST");
    out.target = target_.path ? target_.path->render(captures) : request.path;
    for (auto& header : onward_headers(request.headers)) {
      if (header.name != "content-type" && header.name != "te" && !header.name.starts_with("grpc-")) {
        out.headers.push_back(std::move(header));
      }
    }
    out.headers.push_back({"content-type", std::string(kJson)});
    out.headers.push_back({"accept", std::string(kJson)});
    out.body = std::move(json.data);
    upstream_->send(std::move(out), [respond, method, errors = errors_, route = route_.name,
                                     upstream = target_.upstream](http::UpstreamResult result) {
      if (!result.response) {
        using Error = http::UpstreamResult::Error;
        const auto failure = result.error == Error::timeout       ? Failure::timeout
                             : result.error == Error::unavailable ? Failure::upstream_unavailable
                                                                  : Failure::bad_gateway;
        return respond(failure_response(failure, "upstream '" + upstream + "': " + result.detail, route));
      }
      auto& answer = *result.response;
      if (answer.status / 100 != 2) {
        // The service's own status, by the table: its 404 is NOT_FOUND, not "no such route".
        const int status = answer.status;
        auto failed = answer_from_response(std::move(answer));
        failed.code = code_from_http_status(status);
        failed.metadata.clear();
        return respond(response_from_answer(std::move(failed)));
      }
      const std::string_view body = answer.body.empty() ? std::string_view("{}") : answer.body;
      // A service may well answer more than the message holds: extra fields are dropped.
      auto message = json_to_proto(method->output, body, {.ignore_unknown_fields = true});
      if (!message.ok()) {
        errors.response->inc();
        return respond(failure_response(Failure::internal, "upstream '" + upstream + "' answered what is not a " +
                                                               std::string(method->output.name()) + ": " + message.error,
                                        route));
      }
      respond(message_response(std::move(message.data)));
    });
  }

 private:
  const config::Route& route_;
  const config::UpstreamTarget& target_;
  std::shared_ptr<const ProtoCatalog> catalog_;
  std::shared_ptr<http::UpstreamClient> upstream_;
  TranscodeErrors errors_;
};

// gRPC listener -> gRPC upstream: the same bytes, metadata and what is left of the deadline.
class GrpcForward : public bridge::Flow {
 public:
  GrpcForward(const config::Route& route, const GrpcFlowResources& resources)
      : target_(std::get<config::UpstreamTarget>(route.to)), upstream_(resources.grpc_upstream(target_.upstream)) {}

  void handle(bridge::Request request, routing::Captures, bridge::Responder respond) override {
    GrpcCall call;
    call.method = target_.rpc ? "/" + target_.rpc->name : request.path;
    call.message = std::move(request.body);
    call.timeout = call_timeout(request.headers, target_.timeout);
    call.metadata = onward_headers(request.headers);
    upstream_->send(std::move(call), [respond](GrpcAnswer answer) { respond(response_from_answer(std::move(answer))); });
  }

 private:
  const config::UpstreamTarget& target_;
  std::shared_ptr<GrpcUpstream> upstream_;
};

// HTTP listener -> gRPC upstream: REST in, JSON out, as grpc-gateway does it.
class RestToGrpc : public bridge::Flow {
 public:
  // `binding`: the google.api.http rule the request came by; none for a route with a path.
  RestToGrpc(const config::Route& route, const GrpcFlowResources& resources, const RpcMethod& method,
             const RestBinding* binding = nullptr)
      : route_(route),
        // A SOAP endpoint writes the answer by its schema: every field there, zeros too.
        output_options_{.emit_defaults = route.http_source()->soap.has_value()},
        target_(std::get<config::UpstreamTarget>(route.to)),
        catalog_(resources.catalog),
        method_(method),
        body_(binding ? std::optional(binding->body) : std::nullopt),
        response_body_(binding ? binding->response_body : ""),
        upstream_(resources.grpc_upstream(target_.upstream)),
        errors_(*resources.registry, route.name) {}

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    RestRequest rest;
    rest.body = request.body;
    // A binding says what the body is. A route with its own path: without a body (a
    // GET, say) the query parameters fill the message; with one, the body is all of it.
    const bool blank = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
    rest.body_field = body_ ? std::string_view(*body_) : blank ? "" : "*";
    rest.query = request.query;
    for (const auto& capture : captures) rest.path_variables.push_back({capture.name, capture.value});
    auto message = rest_to_proto(method_.input, rest);
    if (!message.ok()) return respond(errors_.refused(message.error, route_.name));
    GrpcCall call;
    call.method = method_.path;
    call.message = std::move(message.data);
    call.timeout = target_.timeout;
    call.metadata = onward_headers(request.headers);
    upstream_->send(std::move(call), [respond, method = &method_, errors = errors_, route = route_.name,
                                      upstream = target_.upstream, response_body = response_body_,
                                      options = output_options_](GrpcAnswer answer) {
      if (answer.code != Code::ok) {
        auto response = response_from_answer(std::move(answer));
        std::erase_if(response.headers, [](const bridge::Header& header) { return header.name.starts_with("grpc-"); });
        return respond(std::move(response));
      }
      auto json = proto_to_rest(method->output, answer.body, response_body, options);
      if (!json.ok()) {
        errors.response->inc();
        return respond(failure_response(Failure::internal, "upstream '" + upstream + "' answered " + json.error, route));
      }
      Response response;
      response.headers.push_back({"content-type", std::string(kJson)});
      response.body = std::move(json.data);
      respond(std::move(response));
    });
  }

 private:
  const config::Route& route_;
  JsonOptions output_options_;
  const config::UpstreamTarget& target_;
  std::shared_ptr<const ProtoCatalog> catalog_;
  const RpcMethod& method_;
  std::optional<std::string> body_;
  std::string response_body_;
  std::shared_ptr<GrpcUpstream> upstream_;
  TranscodeErrors errors_;
};

// Delivery to a gRPC upstream of messages whose values are JSON.
class JsonDeliveryCaller : public bridge::ServiceCaller {
 public:
  JsonDeliveryCaller(const config::Route& route, const GrpcFlowResources& resources)
      : catalog_(resources.catalog),
        method_(catalog_->method(std::get<config::UpstreamTarget>(route.to).rpc->name)),
        upstream_(resources.grpc_upstream(std::get<config::UpstreamTarget>(route.to).upstream)),
        errors_(*resources.registry, route.name) {}

  void call(bridge::ServiceCall call, std::function<void(bridge::ServiceResult)> done) override {
    auto message = json_to_proto(method_.input, call.body);
    if (!message.ok()) {
      // Sending it again cannot help: a 400 is dead-lettered at once.
      bridge::ServiceResult refused;
      refused.response = errors_.refused(message.error);
      return done(std::move(refused));
    }
    call.body = std::move(message.data);
    upstream_->call(std::move(call), [method = &method_, errors = errors_, done](bridge::ServiceResult result) {
      if (result.response && result.response->status / 100 == 2) {
        auto json = proto_to_json(method->output, result.response->body);
        if (json.ok()) {
          result.response->body = std::move(json.data);
          set_header(result.response->headers, "content-type", std::string(kJson));
        } else {
          errors.response->inc();
        }
      }
      done(std::move(result));
    });
  }

 private:
  std::shared_ptr<const ProtoCatalog> catalog_;
  const RpcMethod& method_;
  std::shared_ptr<GrpcUpstream> upstream_;
  TranscodeErrors errors_;
};

// A route that is not a stream serves the unary methods it matches (rpc: pkg.Service/*
// matches the streaming ones too): a streaming call gets UNIMPLEMENTED before anything
// is sent anywhere.
class UnaryCallsOnly : public bridge::Flow {
 public:
  UnaryCallsOnly(std::unique_ptr<bridge::Flow> inner, std::shared_ptr<const ProtoCatalog> catalog)
      : inner_(std::move(inner)), catalog_(std::move(catalog)) {}

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    if (const RpcMethod* method = catalog_->find_method(request.path); method && !method->unary()) {
      return respond(response_from_answer(
          grpc_error(Code::unimplemented, request.path + " is a streaming method; only a route with 'stream: grpc' serves it")));
    }
    inner_->handle(std::move(request), std::move(captures), std::move(respond));
  }

 private:
  std::unique_ptr<bridge::Flow> inner_;
  std::shared_ptr<const ProtoCatalog> catalog_;
};

// A gRPC listener's route, its answers counted by the gRPC code its callers get.
class CountedByCode : public bridge::Flow {
 public:
  CountedByCode(std::unique_ptr<bridge::Flow> inner, metrics::Registry& registry, const std::string& route)
      : inner_(std::move(inner)) {
    auto& family = registry.counter("causeway_grpc_requests_total",
                                    "Calls to a gRPC listener's route by the gRPC status they were answered with",
                                    {"route", "code"});
    // Looked up once: a call only increments its code's counter.
    for (int code = 0; code < kCodeCount; ++code) {
      calls_[code] = &family.with({route, std::string(code_name(static_cast<Code>(code)))});
    }
  }

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    // The counters live in the registry: the answer may come after a reload dropped this flow.
    bridge::Responder counted([respond, calls = calls_](Response response) {
      calls[static_cast<int>(code_of(response))]->inc();
      respond(std::move(response));
    });
    inner_->handle(std::move(request), std::move(captures), std::move(counted));
  }

 private:
  std::unique_ptr<bridge::Flow> inner_;
  std::array<metrics::Counter*, kCodeCount> calls_{};
};

}  // namespace

std::unique_ptr<bridge::Flow> make_grpc_flow(const config::Route& route, const GrpcFlowResources& resources,
                                             std::unique_ptr<bridge::Flow> plain) {
  const auto* from = route.http_source();
  const bool from_grpc = from && from->rpc;
  if (from_grpc) {
    std::unique_ptr<bridge::Flow> flow;
    if (route.mode == config::Mode::stream) {
      flow = make_grpc_stream_flow(route, resources);
    } else if (std::holds_alternative<config::TopicTarget>(route.to)) {
      flow = std::make_unique<TopicFromGrpc>(route, resources, std::move(plain));
    } else if (route.mode == config::Mode::transcode) {
      flow = std::make_unique<GrpcToHttp>(route, resources);
    } else {
      flow = std::make_unique<GrpcForward>(route, resources);
    }
    if (route.mode != config::Mode::stream) flow = std::make_unique<UnaryCallsOnly>(std::move(flow), resources.catalog);
    return std::make_unique<CountedByCode>(std::move(flow), *resources.registry, route.name);
  }
  const auto& target = std::get<config::UpstreamTarget>(route.to);
  return std::make_unique<RestToGrpc>(route, resources, resources.catalog->method(target.rpc->name));
}

std::vector<RestBinding> rest_bindings(const ProtoCatalog& catalog, const config::Route& route,
                                       std::vector<std::string>& skipped) {
  const auto& name = std::get<config::UpstreamTarget>(route.to).rpc->name;
  std::vector<const RpcMethod*> methods;
  if (name.ends_with("/*")) {
    methods = catalog.methods(name);
  } else {
    methods.push_back(&catalog.method(name));
  }
  std::vector<RestBinding> bindings;
  for (const RpcMethod* method : methods) {
    if (!method->unary()) continue;
    for (const auto& rule : method->http_rules) {
      const std::string what = rule.method + " " + rule.path + " of " + method->service + "/" + method->name;
      try {
        bindings.push_back(RestBinding{rule.method, routing::PathTemplate::parse(rule.path), method, rule.body,
                                       rule.response_body});
      } catch (const routing::TemplateError& error) {
        skipped.push_back(what + ": " + error.what());
      }
    }
  }
  return bindings;
}

std::unique_ptr<bridge::Flow> make_binding_flow(const config::Route& route, const RestBinding& binding,
                                                const GrpcFlowResources& resources) {
  return std::make_unique<RestToGrpc>(route, resources, *binding.rpc, &binding);
}

std::unique_ptr<bridge::ServiceCaller> make_delivery_caller(const config::Route& route,
                                                            const GrpcFlowResources& resources) {
  if (route.encoding == config::Encoding::json) return std::make_unique<JsonDeliveryCaller>(route, resources);
  return nullptr;  // the upstream itself: the message's bytes are the request message
}

}  // namespace causeway::grpc
