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
#include "config/config.h"
#include "routing/route_table.h"

namespace causeway::bridge {

class Dispatcher : public RequestHandler {
 public:
  // The producer to publish on for a broker name the config defines.
  using ProducerLookup = std::function<MessageProducer&(const std::string& broker)>;

  // Builds the flow of every route on this listener; the config stays alive with it.
  Dispatcher(std::shared_ptr<const config::Config> config, const std::string& listener,
             const ProducerLookup& producers, FlowMetrics& metrics);
  ~Dispatcher() override;

  void handle(Request request, Responder respond) override;

 private:
  struct Bound {
    const config::Route* route;
    std::unique_ptr<Flow> flow;
    std::shared_ptr<RouteStats> stats;  // shared: an answer may come after a reload dropped the route
  };
  std::shared_ptr<const config::Config> config_;
  routing::RouteTable table_;
  std::vector<Bound> routes_;
  RouteStats unmatched_;
};

}  // namespace causeway::bridge
