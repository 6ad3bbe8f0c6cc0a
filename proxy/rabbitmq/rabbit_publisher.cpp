#include "rabbitmq/rabbit_publisher.h"

#include "rabbitmq/header_mapping.h"

namespace causeway::rabbitmq {
namespace {

using Outcome = bridge::DeliveryReport::Outcome;

void answer(const bridge::MessageProducer::OnDelivery& on_delivery, Outcome outcome, std::string error) {
  bridge::DeliveryReport report;
  report.outcome = outcome;
  report.error = std::move(error);
  on_delivery(report);
}

std::uint64_t now_seconds() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

RabbitPublisher::RabbitPublisher(std::shared_ptr<RabbitConnection> connection, config::WireHeaders wire)
    : connection_(std::move(connection)), wire_(std::move(wire)), pending_(std::make_shared<Pending>()) {}

void RabbitPublisher::produce(bridge::OutboundMessage message, OnDelivery on_delivery) {
  ConnectionLoop& loop = connection_->loop();
  if (!loop.connected()) {
    answer(on_delivery, Outcome::not_stored, "broker unavailable: " + loop.problem().value_or("not connected"));
    return;
  }
  {
    std::lock_guard lock(pending_->mutex);
    if (pending_->count >= kMaxPending) {
      answer(on_delivery, Outcome::queue_full, "too many messages waiting for the broker's confirm");
      return;
    }
    ++pending_->count;
  }
  auto done = [pending = pending_, on_delivery = std::move(on_delivery)](const bridge::DeliveryReport& report) {
    on_delivery(report);
    std::lock_guard lock(pending->mutex);
    if (--pending->count == 0) pending->drained.notify_all();
  };
  Publication publication = to_publication(std::move(message), wire_, now_seconds());
  auto send = [publication = std::move(publication), done](ConnectionLoop& loop) mutable {
    loop.publisher().publish(loop.session(), std::move(publication), std::move(done));
  };
  if (!connection_->post(std::move(send))) answer(done, Outcome::not_stored, "the broker connection is closing");
}

std::size_t RabbitPublisher::flush(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(pending_->mutex);
  pending_->drained.wait_until(lock, deadline, [this] { return pending_->count == 0; });
  return pending_->count;
}

}  // namespace causeway::rabbitmq
