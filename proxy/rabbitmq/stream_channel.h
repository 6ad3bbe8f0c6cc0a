#pragma once
// The stream clients (stream: sse) of one consuming connection, on one channel shared by
// all of them: each has a queue of its own (topology.h: declare_stream_queue) bound to
// the route's exchange and one consumer on it. basic.qos(prefetch) counts per consumer,
// so a client that is behind holds only its own deliveries back: while its receiver is
// not ready_for_more, what came is kept here unacked (at most `prefetch` messages), and
// the rest waits in its queue at the broker. Each delivery is acked once it was handed
// over or, after the client left, dropped: a tag of a cancelled consumer is still valid
// on the channel. A lost connection or channel takes the queues with it: every client
// is ended, to reconnect by itself. On the I/O thread only.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bridge/event_stream.h"
#include "config/config.h"
#include "rabbitmq/amqp_session.h"
#include "rabbitmq/channel_owner.h"
#include "rabbitmq/content_assembler.h"
#include "rabbitmq/topology.h"

namespace causeway::rabbitmq {

// At most this many messages wait in a client's queue; the oldest go first.
inline constexpr std::int64_t kStreamQueueLength = 10000;

// One client as both sides see it: `open` is cleared from any thread when it leaves.
struct StreamTicket {
  std::atomic<bool> open{true};
  std::string consumer_tag;  // I/O thread only: set once it consumes
};

class StreamChannel : public ChannelOwner {
 public:
  StreamChannel(std::uint16_t prefetch, const config::WireHeaders& wire, ChannelNumbers& numbers, Topology& topology)
      : prefetch_(prefetch), wire_(wire), numbers_(numbers), topology_(topology) {}

  // Declares the client's queue, binds it with `binding_key` and consumes from it.
  CallResult open_stream(AmqpSession& session, const std::string& exchange, const std::string& binding_key,
                         std::shared_ptr<StreamTicket> ticket, std::shared_ptr<bridge::StreamReceiver> receiver);
  // basic.cancel (no wait): the broker deletes its queue. A no-op once it is gone.
  void close_stream(AmqpSession* session, const StreamTicket& ticket);
  std::size_t streams() const { return streams_.size(); }

  void connected(AmqpSession& session) override;
  void frame(AmqpSession& session, const amqp_frame_t& frame) override;
  std::optional<Clock::time_point> tick(AmqpSession* session, Clock::time_point now) override;
  void disconnected(const std::string& why) override;

 private:
  struct Held {
    bridge::InboundMessage message;
    std::uint64_t tag = 0;
  };
  struct Stream {
    std::string exchange;
    std::shared_ptr<StreamTicket> ticket;
    std::shared_ptr<bridge::StreamReceiver> receiver;
    std::deque<Held> held;  // came while the receiver was not ready
  };

  CallResult open_channel(AmqpSession& session);
  void arrived(AmqpSession& session, ArrivedContent content);
  // Hands over what is held while the receiver takes it; true when nothing is left.
  bool hand_over(AmqpSession& session, Stream& stream);
  void ack(AmqpSession& session, std::uint64_t tag);
  // Every client ended: the channel or the connection is gone.
  void end_all(const std::string& why);

  const std::uint16_t prefetch_;
  const config::WireHeaders& wire_;
  ChannelNumbers& numbers_;
  Topology& topology_;
  amqp_channel_t channel_ = 0;
  ContentAssembler assembler_;
  std::map<std::string, Stream> streams_;  // by consumer tag
  std::uint64_t next_tag_ = 0;
};

}  // namespace causeway::rabbitmq
