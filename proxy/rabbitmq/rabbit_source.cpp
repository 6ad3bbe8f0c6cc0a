#include "rabbitmq/rabbit_source.h"

namespace causeway::rabbitmq {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// At most once, from any thread; after the channel it came on is gone, the I/O thread drops it.
class DeliveryAck : public bridge::Acknowledger {
 public:
  DeliveryAck(std::weak_ptr<RabbitConnection> connection, std::weak_ptr<QueueConsumer> consumer, DeliveryHandle handle)
      : connection_(std::move(connection)), consumer_(std::move(consumer)), handle_(handle) {}

  void handled() override {
    if (acked_.exchange(true)) return;
    std::shared_ptr<RabbitConnection> connection = connection_.lock();
    if (!connection) return;  // the client is gone, and the broker gives the message again
    connection->post([consumer = consumer_, handle = handle_](ConnectionLoop& loop) {
      if (auto alive = consumer.lock()) alive->ack(loop.session(), handle);
    });
  }

 private:
  std::weak_ptr<RabbitConnection> connection_;
  std::weak_ptr<QueueConsumer> consumer_;
  DeliveryHandle handle_;
  std::atomic<bool> acked_{false};
};

}  // namespace

RabbitSource::RabbitSource(std::shared_ptr<RabbitConnection> connection, ConsumerSpec spec,
                           std::optional<std::string> key_header)
    : connection_(std::move(connection)), spec_(std::move(spec)), key_header_(std::move(key_header)) {}

RabbitSource::~RabbitSource() {
  if (!consumer_) return;
  // Once more is a no-op after stop(). Waits however long it takes: the consumer's callbacks hold the sink.
  connection_->call([consumer = consumer_](ConnectionLoop& loop) { loop.remove_consumer(consumer); },
                    Clock::time_point::max());
}

void RabbitSource::start(bridge::MessageSink& sink) {
  sink_ = &sink;
  const std::string lane = spec_.queue;
  auto consumer_slot = std::make_shared<std::weak_ptr<QueueConsumer>>();
  QueueConsumer::Events events;
  events.opened = [&sink, lane, consuming = consuming_] {
    sink.lane_opened(lane);
    consuming->store(true);
  };
  events.closed = [&sink, lane](const std::string&) { sink.lane_closed(lane, 0ms); };
  events.delivered = [&sink, lane, consumer_slot, key_header = key_header_,
                      weak_connection = std::weak_ptr<RabbitConnection>(connection_)](Delivery delivery) {
    if (key_header) {
      if (const std::string* key = bridge::find_header(delivery.message.headers, *key_header))
        delivery.message.key = *key;
    }
    bridge::SourcedMessage sourced;
    sourced.lane = lane;
    sourced.redelivered = delivery.redelivered;
    sourced.ack = std::make_unique<DeliveryAck>(weak_connection, *consumer_slot, delivery.handle);
    sourced.message = std::move(delivery.message);
    sink.deliver(std::move(sourced));
    return QueueConsumer::Disposition::later;
  };
  auto created = std::make_shared<std::shared_ptr<QueueConsumer>>();
  connection_->call(
      [spec = spec_, events = std::move(events), consumer_slot, created](ConnectionLoop& loop) mutable {
        *created = loop.add_consumer(std::move(spec), std::move(events));
        *consumer_slot = *created;
        (*created)->ensure(loop.session());  // when it cannot yet, its ticks try again
      },
      Clock::time_point::max());
  consumer_ = *created;
}

void RabbitSource::stop(Clock::time_point deadline) {
  if (!consumer_ || !sink_) return;
  if (stopped_.exchange(true)) return;  // once: a reload stops what it replaces, and its retirement asks again
  connection_->call([consumer = consumer_](ConnectionLoop& loop) { consumer->cancel(loop.session()); }, deadline);
  sink_->stop_starting();
  sink_->wait_idle(deadline);
  // Acks posted so far run before this, in order. Waits however long it takes: the
  // consumer's callbacks hold the sink.
  connection_->call([consumer = consumer_](ConnectionLoop& loop) { loop.remove_consumer(consumer); },
                    Clock::time_point::max());
}

std::vector<bridge::MessageSource::Lag> RabbitSource::lag() {
  if (!consumer_) return {};
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
  std::int64_t last = last_count_request_.load();
  if (now - last >= 1000 && last_count_request_.compare_exchange_strong(last, now)) {
    connection_->post([consumer = consumer_](ConnectionLoop& loop) { consumer->count_messages(loop.session()); });
  }
  return {Lag{spec_.queue, std::max<std::int64_t>(consumer_->messages(), 0)}};
}

}  // namespace causeway::rabbitmq
