#include "bridge/dispatcher.h"

#include <chrono>

#include "bridge/direct_response_flow.h"
#include "bridge/event_flow.h"
#include "bridge/request_reply_flow.h"
#include "bridge/failure.h"

namespace causeway::bridge {

namespace {

std::unique_ptr<Flow> make_flow(const config::Config& config, const config::Route& route,
                                const FlowResources& resources) {
  switch (route.mode) {
    case config::Mode::event: {
      const auto& target = std::get<config::TopicTarget>(route.to);
      return std::make_unique<EventFlow>(route, config.find_broker(target.broker)->headers,
                                         resources.producer(target.broker), *resources.metrics);
    }
    case config::Mode::request_reply: {
      const auto& target = std::get<config::TopicTarget>(route.to);
      return std::make_unique<RequestReplyFlow>(route, *config.find_broker(target.broker),
                                                resources.reply_partition(target.broker),
                                                resources.producer(target.broker), *resources.waiters,
                                                *resources.metrics);
    }
    case config::Mode::direct_response:
      return std::make_unique<DirectResponseFlow>(std::get<config::DirectResponse>(route.to));
    case config::Mode::delivery: break;  // read from a topic, not from a listener
  }
  return nullptr;
}

}  // namespace

Dispatcher::Dispatcher(std::shared_ptr<const config::Config> config, const std::string& listener,
                       const FlowResources& resources)
    : config_(std::move(config)), unmatched_(*resources.metrics, std::string(kUnmatchedRoute)) {
  std::vector<routing::RouteEntry> entries;
  bool replies = false;
  for (const auto& route : config_->routes) {
    const auto* from = route.http_source();
    if (!from || from->listener != listener) continue;
    replies = replies || route.mode == config::Mode::request_reply;
    entries.push_back({routes_.size(), from->method, from->path});
    routes_.push_back(Bound{make_flow(*config_, route, resources),
                            std::make_shared<RouteStats>(*resources.metrics, route.name)});
  }
  if (replies) {
    entries.push_back({routes_.size(), "GET",
                       routing::PathTemplate::parse(std::string(config::kReplyPathPrefix) + "{id}")});
    routes_.push_back(Bound{std::make_unique<ReplyPollFlow>(*resources.waiters),
                            std::make_shared<RouteStats>(*resources.metrics, std::string(kReplyPollRoute))});
  }
  table_ = routing::RouteTable(std::move(entries));
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
  auto& bound = routes_[match.route];
  // Counted when answered, on whichever thread answers.
  Responder counted([stats = bound.stats, started, respond](Response response) {
    stats->record(response.status, std::chrono::steady_clock::now() - started);
    respond(std::move(response));
  });
  bound.flow->handle(std::move(request), std::move(match.captures), std::move(counted));
}

}  // namespace causeway::bridge
