#pragma once
// A request the listener streams to an upstream itself (forward routes): what the
// dispatcher decided once the head was read, before any byte of the body.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bridge/admission.h"
#include "bridge/exchange.h"
#include "bridge/flow_metrics.h"
#include "config/config.h"

namespace causeway::bridge {

struct ForwardPlan {
  std::string route;
  std::shared_ptr<void> upstream;  // the upstream's client: opaque here, the HTTP layer knows its type
  std::string method;              // to send
  std::string target;              // normalized path (rewritten by the route's template) and query
  std::chrono::milliseconds timeout{};
  config::RetryPolicy retry;
  std::shared_ptr<CircuitBreaker> breaker;  // null when the upstream has none
  std::shared_ptr<RouteStats> stats;
  std::shared_ptr<void> admission;  // a concurrency slot, given back when the plan goes
  std::optional<Response> refusal;  // answer this (429, 503) instead of forwarding
};

// What forwarding needs of an upstream, by name: its client and its breaker.
struct ForwardUpstream {
  std::shared_ptr<void> client;
  std::shared_ptr<CircuitBreaker> breaker;
  config::Duration timeout{};
};

}  // namespace causeway::bridge
