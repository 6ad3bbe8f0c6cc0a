#pragma once
// A publisher behind a circuit breaker on the broker's health, as an upstream is behind
// one: once messages in a row were not stored (the broker is down or unreachable), the
// next ones are answered "not stored" at once for a while instead of each waiting out the
// client's message timeout; then one message probes, and its success closes it again.

#include <memory>
#include <string>

#include "bridge/admission.h"
#include "bridge/message_producer.h"

namespace causeway::metrics {
class Counter;
class Registry;
}  // namespace causeway::metrics

namespace causeway::bridge {

class GuardedProducer : public MessageProducer {
 public:
  GuardedProducer(std::shared_ptr<MessageProducer> inner, std::string broker, metrics::Registry& registry,
                  int failures = 3, std::chrono::milliseconds open_for = std::chrono::seconds(2));

  void produce(OutboundMessage message, OnDelivery on_delivery) override;
  std::optional<std::string> invalid_destination(std::string_view name) const override {
    return inner_->invalid_destination(name);
  }
  // For the dashboard, beside the broker's connection state.
  CircuitBreaker::State breaker_state() const { return breaker_->state(SteadyClock::now()); }

 private:
  std::shared_ptr<MessageProducer> inner_;
  std::string broker_;
  std::shared_ptr<CircuitBreaker> breaker_;  // shared with reports that outlive a reload
  metrics::Counter& refused_;
};

}  // namespace causeway::bridge
