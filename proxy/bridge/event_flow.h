#pragma once
// HTTP -> broker event: publish the request, answer 202 only once the broker has
// acknowledged it, and a precise error otherwise.

#include <memory>

#include "bridge/flow.h"
#include "bridge/flow_metrics.h"
#include "bridge/message_producer.h"
#include "config/config.h"

namespace causeway::bridge {

class EventFlow : public Flow {
 public:
  EventFlow(const config::Route& route, const config::WireHeaders& wire, std::shared_ptr<MessageProducer> producer,
            FlowMetrics& metrics);
  void handle(Request request, routing::Captures captures, Responder respond) override;

 private:
  struct Shared;
  const config::Route& route_;
  const config::TopicTarget& target_;
  const config::WireHeaders& wire_;
  std::shared_ptr<MessageProducer> producer_;  // shared: a reload may drop its broker while requests run
  std::shared_ptr<Shared> shared_;
};

// The result label of causeway_produced_total for a delivery outcome.
std::string_view delivery_result(DeliveryReport::Outcome outcome);

// The answer for a delivery report: 202 with {"id","topic","partition","offset"}, or the failure.
Response event_response(const DeliveryReport& report, std::string_view id, std::string_view topic,
                        std::string_view route);

}  // namespace causeway::bridge
