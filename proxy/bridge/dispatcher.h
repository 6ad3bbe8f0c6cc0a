#pragma once
// A listener's request handler: route -> flow, with the request counted and timed
// per route, and 404/405/400 answered for requests no route takes.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bridge/exchange.h"
#include "bridge/flow.h"
#include "bridge/flow_metrics.h"
#include "bridge/message_producer.h"
#include "bridge/reply_waiters.h"
#include "config/config.h"
#include "routing/route_table.h"

namespace causeway::bridge {

// What the flows are built from, owned by the server.
struct FlowResources {
  // The producer to publish on for a broker name the config defines; flows keep it alive.
  std::function<std::shared_ptr<MessageProducer>(const std::string& broker)> producer;
  // The partition of its reply topics this instance reads, per broker.
  std::function<std::int32_t(const std::string& broker)> reply_partition;
  ReplyWaiters* waiters = nullptr;
  FlowMetrics* metrics = nullptr;
};

// Requests for reply polling are counted under this route label.
inline constexpr std::string_view kReplyPollRoute = "(replies)";

class Dispatcher : public RequestHandler {
 public:
  // Builds the flow of every route on this listener (and reply polling when one of
  // them is request-reply); the config stays alive with it.
  Dispatcher(std::shared_ptr<const config::Config> config, const std::string& listener,
             const FlowResources& resources);
  ~Dispatcher() override;

  void handle(Request request, Responder respond) override;

 private:
  struct Bound {
    std::unique_ptr<Flow> flow;
    std::shared_ptr<RouteStats> stats;  // shared: an answer may come after a reload dropped the route
  };
  std::shared_ptr<const config::Config> config_;
  routing::RouteTable table_;
  std::vector<Bound> routes_;
  RouteStats unmatched_;
};

}  // namespace causeway::bridge
