#pragma once
// A delivery route's queue as the delivery flow reads it: one lane, the queue; each
// message handed over with an Acknowledger that basic.acks its delivery tag on the I/O
// thread. The channel's prefetch is the back-pressure (control() is null). A lost
// channel closes the lane (the broker redelivers what was not acked) and the lane opens
// again once the consumer is back. With key_header, messages are keyed (ordered) by
// that header's value when they carry it, else by their routing key.

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "bridge/message_source.h"
#include "rabbitmq/rabbit_connection.h"

namespace causeway::rabbitmq {

class RabbitSource : public bridge::MessageSource {
 public:
  RabbitSource(std::shared_ptr<RabbitConnection> connection, ConsumerSpec spec, std::optional<std::string> key_header);
  ~RabbitSource() override;  // closes the channel if stop() did not

  void start(bridge::MessageSink& sink) override;
  // basic.cancel, then the sink finishes until the deadline, the acks given meanwhile
  // go out, and the channel closes: the broker gives what was not acked to others.
  void stop(std::chrono::steady_clock::time_point deadline) override;
  bridge::LaneControl* control() override { return nullptr; }
  bool reading() const override { return consuming_->load(); }
  // The queue's ready messages, from the last passive declare; asks again at most once a second.
  std::vector<Lag> lag() override;

 private:
  std::shared_ptr<RabbitConnection> connection_;
  ConsumerSpec spec_;
  std::optional<std::string> key_header_;
  bridge::MessageSink* sink_ = nullptr;
  std::shared_ptr<QueueConsumer> consumer_;  // set by start(), kept: lag() may still ask
  std::atomic<std::int64_t> last_count_request_{0};
  std::atomic<bool> stopped_{false};
  // Set by the I/O thread at the first consume-ok; stays set across reconnects.
  std::shared_ptr<std::atomic<bool>> consuming_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace causeway::rabbitmq
