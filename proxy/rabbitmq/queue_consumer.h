#pragma once
// A consumer of one queue on a channel of its own, with manual acks: the queue checked
// or declared and bound, basic.qos(prefetch), basic.consume; set up again after every
// reconnect and, with a backoff, after a channel error or a cancel by the broker. A
// delivery is acknowledged on the channel it came on only: after that channel is gone
// the broker gives the message again, so a late ack is dropped (and counted), never
// sent for a tag of another channel. On the I/O thread only, but for messages().

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bridge/inbound_message.h"
#include "config/config.h"
#include "rabbitmq/amqp_session.h"
#include "rabbitmq/channel_owner.h"
#include "rabbitmq/content_assembler.h"
#include "rabbitmq/rabbit_metrics.h"
#include "rabbitmq/topology.h"

namespace causeway::rabbitmq {

struct ConsumerSpec {
  std::string queue;
  std::vector<config::TopicSource::Binding> bind;
  std::uint16_t prefetch = 64;
};

// Which delivery an acknowledgement is for: the channel it came on (counted per
// consumer, as each open is a new one) and its delivery tag there.
struct DeliveryHandle {
  std::uint64_t channel_epoch = 0;
  std::uint64_t tag = 0;
};

struct Delivery {
  bridge::InboundMessage message;
  bool redelivered = false;
  DeliveryHandle handle;
};

class QueueConsumer : public ChannelOwner {
 public:
  enum class Disposition { later, ack, requeue };  // what to do with a delivery right away
  struct Events {
    std::function<void()> opened;                        // consuming (again)
    std::function<void(const std::string& why)> closed;  // the channel is gone: what was not acked comes back
    std::function<Disposition(Delivery)> delivered;
  };

  QueueConsumer(ConsumerSpec spec, Events events, const RabbitOptions& options, const config::WireHeaders& wire,
                ChannelNumbers& numbers, Topology& topology, RabbitMetrics& metrics);

  void ack(AmqpSession* session, const DeliveryHandle& handle);
  // basic.cancel: no new deliveries, acks still go out; not consumed again after a reconnect.
  void cancel(AmqpSession* session);
  // channel.close: what was not acked goes back to the queue.
  void close(AmqpSession* session);
  // Set up now if it is not: true when consuming. What went wrong otherwise.
  CallResult ensure(AmqpSession* session);
  // Messages waiting in the queue, from the last declare (any thread); -1 before the first.
  std::int64_t messages() const { return messages_.load(); }
  void count_messages(AmqpSession* session);

  void connected(AmqpSession& session) override;
  void frame(AmqpSession& session, const amqp_frame_t& frame) override;
  std::optional<Clock::time_point> tick(AmqpSession* session, Clock::time_point now) override;
  void disconnected(const std::string& why) override;

 private:
  CallResult set_up(AmqpSession& session);
  CallResult consume(AmqpSession& session);
  void lost(const std::string& why, bool retry_later);
  void arrived(AmqpSession& session, ArrivedContent content);

  ConsumerSpec spec_;
  Events events_;
  const RabbitOptions& options_;
  const config::WireHeaders& wire_;
  ChannelNumbers& numbers_;
  Topology& topology_;
  RabbitMetrics& metrics_;

  amqp_channel_t channel_ = 0;  // 0: not consuming
  std::uint64_t epoch_ = 0;
  std::string consumer_tag_;
  bool stopped_ = false;  // cancelled or closed on purpose
  int failures_ = 0;      // set-ups failed in a row, for the backoff
  Clock::time_point retry_at_{};
  ContentAssembler assembler_;
  std::atomic<std::int64_t> messages_{-1};
};

}  // namespace causeway::rabbitmq
