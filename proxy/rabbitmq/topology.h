#pragma once
// Exchanges, queues and bindings as routes name them (DESIGN.md): used as they are when
// they exist (a passive declare first), declared when they do not — exchanges topic and
// durable, queues durable (quorum with queue_type: quorum) — unless declare: false.
// Passive declares of missing things cost their channel, so they run on a channel of
// their own, opened again as needed. On the I/O thread only.

#include <cstdint>
#include <set>
#include <string>

#include "rabbitmq/amqp_session.h"
#include "rabbitmq/channel_owner.h"
#include "rabbitmq/rabbit_settings.h"

namespace causeway::rabbitmq {

class Topology : public ChannelOwner {
 public:
  Topology(const RabbitOptions& options, ChannelNumbers& numbers) : options_(options), numbers_(numbers) {}

  // "" and amq.* always exist. Known exchanges are not asked again on this connection.
  CallResult ensure_exchange(AmqpSession& session, const std::string& name);
  // `messages`: how many wait in it.
  CallResult ensure_queue(AmqpSession& session, const std::string& name, std::int64_t& messages);
  CallResult bind(AmqpSession& session, const std::string& queue, const std::string& exchange,
                  const std::string& routing_key);
  // A stream client's queue: server-named, exclusive (it goes with the connection),
  // auto-delete (and with its consumer), classic whatever queue_type says, holding at
  // most `max_length` messages (the oldest dropped first). `name`: what the broker chose.
  CallResult declare_stream_queue(AmqpSession& session, std::int64_t max_length, std::string& name);
  // Passive only: how many messages wait in the queue.
  CallResult count(AmqpSession& session, const std::string& queue, std::int64_t& messages);
  // It was deleted under us (a publish to it failed): ask again next time.
  void forget_exchange(const std::string& name) { known_exchanges_.erase(name); }

  void connected(AmqpSession& session) override;
  void frame(AmqpSession&, const amqp_frame_t&) override {}  // RPC replies are read where they are awaited
  std::optional<Clock::time_point> tick(AmqpSession*, Clock::time_point) override { return std::nullopt; }
  void disconnected(const std::string&) override;

 private:
  CallResult open(AmqpSession& session);
  // After a call: a closed channel is released, to be opened again by the next call.
  CallResult checked(AmqpSession& session, const char* what);
  CallResult declare_queue(AmqpSession& session, const std::string& name, bool passive, std::int64_t& messages);

  const RabbitOptions& options_;
  ChannelNumbers& numbers_;
  amqp_channel_t channel_ = 0;
  std::set<std::string> known_exchanges_;
};

}  // namespace causeway::rabbitmq
