#pragma once
// HTTP -> broker event: publish the request, answer 202 only once the broker has
// acknowledged it, and a precise error otherwise.

#include <memory>
#include <optional>
#include <string>

#include "bridge/flow.h"
#include "bridge/flow_metrics.h"
#include "bridge/message_producer.h"
#include "config/config.h"

namespace causeway::bridge {

class EventFlow : public Flow {
 public:
  EventFlow(const config::Route& route, const config::Broker& broker, std::shared_ptr<MessageProducer> producer,
            FlowMetrics& metrics);
  void handle(Request request, routing::Captures captures, Responder respond) override;

 private:
  struct Shared;
  const config::Route& route_;
  const config::TopicTarget& target_;
  const config::WireHeaders& wire_;
  const config::RouteWords& words_;
  std::shared_ptr<MessageProducer> producer_;  // shared: a reload may drop its broker while requests run
  std::shared_ptr<Shared> shared_;
};

// The result label of causeway_produced_total for a delivery outcome.
std::string_view delivery_result(DeliveryReport::Outcome outcome);

// Where an event went, named in its broker's words ("topic" and "key", "exchange" and "routing_key").
struct EventPlace {
  const config::RouteWords& words;
  std::string destination;
  std::optional<std::string> key;
};

// The answer for a delivery report, or the failure: 202 with {"id","topic","partition","offset"}
// from Kafka, {"id","exchange","routing_key"} from RabbitMQ (it has no positions).
Response event_response(const DeliveryReport& report, std::string_view id, const EventPlace& place,
                        std::string_view route);

// The error answer for a message that was not stored (any outcome but `stored`).
Response produce_failure(const DeliveryReport& report, std::string_view route);

// The route words of a broker's kind (every loaded broker has a registered kind).
const config::RouteWords& route_words(const config::Broker& broker);

}  // namespace causeway::bridge
