#include "bridge/guarded_producer.h"

#include "metrics/registry.h"

namespace causeway::bridge {

using Outcome = DeliveryReport::Outcome;

GuardedProducer::GuardedProducer(std::shared_ptr<MessageProducer> inner, std::string broker,
                                 metrics::Registry& registry, int failures, std::chrono::milliseconds open_for)
    : inner_(std::move(inner)),
      broker_(std::move(broker)),
      breaker_(std::make_shared<CircuitBreaker>(failures, open_for, "broker '" + broker_ + "'")),
      refused_(registry
                   .counter("causeway_broker_refused_total",
                            "Messages answered 'not stored' at once because the broker was known to be down",
                            {"broker"})
                   .with({broker_})) {}

void GuardedProducer::produce(OutboundMessage message, OnDelivery on_delivery) {
  if (!breaker_->allow(SteadyClock::now())) {
    refused_.inc();
    DeliveryReport report;
    report.outcome = Outcome::not_stored;
    report.error = "broker '" + broker_ + "' is known to be down; trying again in " +
                   std::to_string(breaker_->retry_after(SteadyClock::now()).count()) + " ms";
    on_delivery(report);
    return;
  }
  inner_->produce(std::move(message), [breaker = breaker_, on_delivery = std::move(on_delivery)](
                                          const DeliveryReport& report) {
    // Only the broker's absence opens it; any other answer (a refused topic too) says it is there.
    if (report.outcome == Outcome::not_stored || report.outcome == Outcome::maybe_stored) {
      breaker->failed(SteadyClock::now());
    } else {
      breaker->succeeded();
    }
    on_delivery(report);
  });
}

}  // namespace causeway::bridge
