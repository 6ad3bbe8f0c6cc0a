#include "bridge/dispatcher.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "bridge/body_stream.h"
#include "bridge/direct_response_flow.h"
#include "bridge/event_flow.h"
#include "bridge/request_reply_flow.h"
#include "bridge/stream_flow.h"
#include "bridge/failure.h"
#include "routing/path.h"

namespace causeway::bridge {

namespace {

std::unique_ptr<Flow> make_flow(const config::Config& config, const config::Route& route,
                                const FlowResources& resources) {
  switch (route.mode) {
    case config::Mode::event: {
      const auto& target = std::get<config::TopicTarget>(route.to);
      return std::make_unique<EventFlow>(route, *config.find_broker(target.broker),
                                         resources.producer(target.broker), *resources.metrics);
    }
    case config::Mode::request_reply: {
      const auto& target = std::get<config::TopicTarget>(route.to);
      return std::make_unique<RequestReplyFlow>(route, *config.find_broker(target.broker),
                                                resources.reply_channel(target.broker, *target.reply),
                                                resources.producer(target.broker), *resources.waiters,
                                                *resources.metrics, resources.callbacks);
    }
    case config::Mode::direct_response:
      return std::make_unique<DirectResponseFlow>(std::get<config::DirectResponse>(route.to));
    case config::Mode::stream: {
      const auto& target = std::get<config::TopicTarget>(route.to);
      return std::make_unique<StreamFlow>(route, resources.broker(target.broker), *resources.metrics);
    }
    case config::Mode::delivery:
    case config::Mode::bridge: break;  // read from a broker, not from a listener
    case config::Mode::forward: break;   // streamed by the listener, see forward_plan()
    case config::Mode::transcode: break;  // grpc_flow's
  }
  return nullptr;
}

// Captures go back into a path escaped: a {name} value stays one segment whatever it
// holds ("../x", "a/b"), a {name=**} value keeps its slashes and escapes.
std::string escape_capture(std::string_view value, bool rest) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    const bool keep = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (rest && (c == '/' || c == '%'));
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string forward_target(const config::Route& route, const config::UpstreamTarget& to, const Request& head,
                           const routing::Captures& captures) {
  std::string path;
  if (to.path) {
    routing::Captures escaped;
    for (const auto& capture : captures) {
      bool rest = false;
      for (const auto& segment : route.http_source()->path.segments()) {
        if (segment.text == capture.name) rest = segment.kind == routing::PathTemplate::Kind::rest;
      }
      escaped.push_back({capture.name, escape_capture(capture.value, rest)});
    }
    path = to.path->render(escaped);
  } else {
    // The normalized path, the one the route matched: an upstream never sees a "../" the routing did not.
    path = routing::normalize_path(head.path).value_or("/");
  }
  if (!head.query.empty()) path += "?" + head.query;
  return path;
}

}  // namespace

// A SOAP listener route as its endpoint calls it: through the route's limits and counters.
class Dispatcher::AdmittedFlow : public Flow {
 public:
  explicit AdmittedFlow(Bound& bound) : bound_(bound) {}
  void handle(Request request, routing::Captures captures, Responder respond) override {
    run(bound_, std::move(request), std::move(captures), std::move(respond), std::chrono::steady_clock::now());
  }

 private:
  Bound& bound_;
};

Dispatcher::Bound Dispatcher::make_bound(const config::Route& route, const FlowResources& resources) const {
  Bound bound;
  bound.route = &route;
  bound.stats = std::make_shared<RouteStats>(*resources.metrics, route.name);
  if (route.limits.rate) {
    bound.bucket = std::make_shared<TokenBucket>(*route.limits.rate, route.limits.burst.value_or(*route.limits.rate));
  }
  if (route.limits.concurrency) bound.concurrency = std::make_shared<ConcurrencyLimit>(*route.limits.concurrency);
  return bound;
}

Dispatcher::Dispatcher(std::shared_ptr<const config::Config> config, const std::string& listener,
                       const FlowResources& resources)
    : config_(std::move(config)), unmatched_(*resources.metrics, std::string(kUnmatchedRoute)) {
  std::vector<routing::RouteEntry> entries;
  std::map<std::string, std::vector<SoapOperationRoute>> soap_paths;
  bool replies = false;
  for (const auto& route : config_->routes) {
    const auto* from = route.http_source();
    if (!from || from->listener != listener) continue;
    replies = replies || route.mode == config::Mode::request_reply;
    Bound bound = make_bound(route, resources);
    const auto* upstream = std::get_if<config::UpstreamTarget>(&route.to);
    const bool grpc_upstream = upstream && config_->find_upstream(upstream->upstream)->type == "grpc";
    if (from->soap) {
      // The endpoint hands the route's flow JSON, as a REST caller would.
      bound.flow = grpc_upstream                           ? resources.grpc_flow(route, nullptr)
                   : route.mode == config::Mode::transcode ? resources.soap_flow(route)
                                                           : make_flow(*config_, route, resources);
      soap_routes_.push_back(std::make_unique<Bound>(std::move(bound)));
      soap_paths[resources.soap_path(route)].push_back({&route, std::make_unique<AdmittedFlow>(*soap_routes_.back())});
      continue;
    }
    if (from->annotated) {
      // One entry per binding; counters and limits stay the route's.
      for (auto& binding : resources.annotated_bindings(route)) {
        entries.push_back({routes_.size(), std::move(binding.method), std::move(binding.path)});
        Bound entry{bound.route, std::move(binding.flow), std::nullopt, bound.bucket, bound.concurrency, bound.stats};
        routes_.push_back(std::move(entry));
      }
      continue;
    }
    entries.push_back({routes_.size(), from->method, from->path});
    bound.flow = make_flow(*config_, route, resources);
    if (from->rpc || grpc_upstream) {
      bound.flow = resources.grpc_flow(route, std::move(bound.flow));
    } else if (upstream && upstream->soap) {
      bound.flow = resources.soap_flow(route);
    } else if (route.mode == config::Mode::forward) {
      bound.upstream = resources.forward_upstream(std::get<config::UpstreamTarget>(route.to).upstream);
      forwards_ = true;
    }
    routes_.push_back(std::move(bound));
  }
  const config::Listener* bound_to = config_->find_listener(listener);
  const std::string scheme = bound_to && bound_to->tls ? "https" : "http";
  for (auto& [path, operations] : soap_paths) {
    // Any method: the endpoint answers POST and GET ?wsdl, and the rest with a fault.
    entries.push_back({routes_.size(), std::nullopt, routing::PathTemplate::parse(path)});
    Bound endpoint;
    endpoint.flow = resources.soap_endpoint(std::move(operations), scheme);
    routes_.push_back(std::move(endpoint));
  }
  if (replies) {
    entries.push_back({routes_.size(), "GET",
                       routing::PathTemplate::parse(std::string(config::kReplyPathPrefix) + "{id}")});
    Bound polling;
    polling.flow = std::make_unique<ReplyPollFlow>(*resources.waiters);
    polling.stats = std::make_shared<RouteStats>(*resources.metrics, std::string(kReplyPollRoute));
    routes_.push_back(std::move(polling));
  }
  table_ = routing::RouteTable(std::move(entries));
}

std::variant<std::shared_ptr<void>, Response> Dispatcher::admit(Bound& bound) {
  const std::string& name = bound.route->name;
  if (bound.bucket) {
    if (auto wait = bound.bucket->take(std::chrono::steady_clock::now())) {
      auto response = failure_response(Failure::rate_limited, "the route's rate limit is reached", name);
      const auto seconds = std::max<long>(1, static_cast<long>((wait->count() + 999) / 1000));
      for (auto& header : response.headers) {
        if (header.name == "retry-after") header.value = std::to_string(seconds);
      }
      return response;
    }
  }
  if (!bound.concurrency) return std::shared_ptr<void>();
  if (!bound.concurrency->enter()) {
    return failure_response(Failure::rate_limited, "the route's concurrency limit is reached", name);
  }
  // Given back when the last holder of the slot (the response, or the forward plan) goes.
  return std::shared_ptr<void>(nullptr, [limit = bound.concurrency](void*) { limit->leave(); });
}

Dispatcher::~Dispatcher() = default;

void Dispatcher::handle(Request request, Responder respond) {
  auto started = std::chrono::steady_clock::now();
  auto match = table_.match(request.method, request.path);
  if (match.kind != routing::RouteMatch::Kind::found) {
    Response response;
    switch (match.kind) {
      case routing::RouteMatch::Kind::bad_path:
        response = failure_response(Failure::bad_request, "malformed request path");
        break;
      case routing::RouteMatch::Kind::method_not_allowed:
        response = failure_response(Failure::method_not_allowed,
                                    "method " + request.method + " is not allowed for " + request.path);
        response.headers.push_back({"allow", match.allow});
        break;
      default:
        response = failure_response(Failure::not_found, "no route for " + request.path);
        break;
    }
    unmatched_.record(response.status, std::chrono::steady_clock::now() - started);
    respond(std::move(response));
    return;
  }
  run(routes_[match.route], std::move(request), std::move(match.captures), std::move(respond), started);
}

void Dispatcher::run(Bound& bound, Request request, routing::Captures captures, Responder respond,
                     std::chrono::steady_clock::time_point started) {
  // A SOAP endpoint is counted under the route of the operation it picks.
  if (!bound.stats) return bound.flow->handle(std::move(request), std::move(captures), std::move(respond));
  std::shared_ptr<void> slot;
  if (bound.route) {
    auto admitted = admit(bound);
    if (auto* refusal = std::get_if<Response>(&admitted)) {
      bound.stats->record(refusal->status, std::chrono::steady_clock::now() - started);
      respond(std::move(*refusal));
      return;
    }
    slot = std::get<std::shared_ptr<void>>(std::move(admitted));
  }
  // Counted when answered, on whichever thread answers; the slot is held until then.
  Responder counted([stats = bound.stats, started, respond, slot](Response response) {
    stats->record(response.status, std::chrono::steady_clock::now() - started);
    // A stream holds its route's concurrency slot as long as it goes on.
    if (response.stream) response.stream->on_end([slot](const std::string&) {});
    respond(std::move(response));
  });
  bound.flow->handle(std::move(request), std::move(captures), std::move(counted));
}

Response Dispatcher::refusal(const Request& head, Response plain) {
  auto match = table_.match(head.method, head.path);
  if (match.kind != routing::RouteMatch::Kind::found) return plain;
  auto& bound = routes_[match.route];
  return bound.flow ? bound.flow->refusal(head, std::move(plain)) : plain;
}

std::shared_ptr<const ForwardPlan> Dispatcher::forward_plan(const Request& head) {
  auto match = table_.match(head.method, head.path);
  if (match.kind != routing::RouteMatch::Kind::found) return nullptr;
  auto& bound = routes_[match.route];
  if (!bound.upstream) return nullptr;
  const auto& route = *bound.route;
  const auto& to = std::get<config::UpstreamTarget>(route.to);
  auto plan = std::make_shared<ForwardPlan>();
  plan->route = route.name;
  plan->stats = bound.stats;
  auto admitted = admit(bound);
  if (auto* refusal = std::get_if<Response>(&admitted)) {
    bound.stats->record(refusal->status, {});
    plan->refusal = std::move(*refusal);
    return plan;
  }
  plan->admission = std::get<std::shared_ptr<void>>(std::move(admitted));
  plan->breaker = bound.upstream->breaker;
  const auto now = std::chrono::steady_clock::now();
  if (plan->breaker && !plan->breaker->allow(now)) {
    auto response = failure_response(Failure::upstream_unavailable, "the upstream's circuit breaker is open", route.name);
    const auto wait = plan->breaker->retry_after(now);
    for (auto& header : response.headers) {
      if (header.name == "retry-after") header.value = std::to_string(std::max<long>(1, (wait.count() + 999) / 1000));
    }
    bound.stats->record(response.status, {});
    plan->refusal = std::move(response);
    return plan;
  }
  plan->upstream = bound.upstream->client;
  plan->method = to.method.value_or(head.method);
  plan->target = forward_target(route, to, head, match.captures);
  plan->timeout = to.timeout.value_or(bound.upstream->timeout);
  plan->retry = route.retry;
  return plan;
}

}  // namespace causeway::bridge
