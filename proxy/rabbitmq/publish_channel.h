#pragma once
// The channel a broker connection publishes on: publisher confirms and `mandatory`, so
// each message ends as stored, unroutable (basic.return), not_stored (basic.nack) or,
// when the confirm does not come, maybe_stored. RabbitMQ's direct reply-to is consumed
// on this channel too, as it must be. On the I/O thread only.

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "bridge/broker_client.h"
#include "config/config.h"
#include "rabbitmq/channel_owner.h"
#include "rabbitmq/confirm_tracker.h"
#include "rabbitmq/content_assembler.h"
#include "rabbitmq/header_mapping.h"
#include "rabbitmq/rabbit_metrics.h"
#include "rabbitmq/topology.h"

namespace causeway::rabbitmq {

inline constexpr std::string_view kDirectReplyTo = "amq.rabbitmq.reply-to";

class PublishChannel : public ChannelOwner {
 public:
  using OnDelivery = bridge::MessageProducer::OnDelivery;

  PublishChannel(const RabbitOptions& options, const config::WireHeaders& wire, ChannelNumbers& numbers,
                 Topology& topology, RabbitMetrics& metrics);

  // Sends it, or holds it while the channel reopens or the broker blocks publishing (up
  // to confirm_timeout); session null: not_stored at once.
  void publish(AmqpSession* session, Publication publication, OnDelivery on_delivery);
  // Replies to amq.rabbitmq.reply-to go to on_reply, from now on and after every reconnect.
  CallResult open_direct_replies(AmqpSession* session, bridge::BrokerClient::OnReply on_reply);
  // connection.blocked / connection.unblocked.
  void set_blocked(bool blocked);

  void connected(AmqpSession& session) override;
  void frame(AmqpSession& session, const amqp_frame_t& frame) override;
  std::optional<Clock::time_point> tick(AmqpSession* session, Clock::time_point now) override;
  void disconnected(const std::string& why) override;

 private:
  struct Outgoing {
    Publication publication;
    OnDelivery on_delivery;
    Clock::time_point deadline;  // to be written by, else not_stored
  };

  void open(AmqpSession& session);
  CallResult consume_direct_replies(AmqpSession& session);
  void send(AmqpSession& session, Outgoing outgoing);
  void send_queued(AmqpSession& session);
  void arrived(ArrivedContent content);
  void channel_error(AmqpSession& session, const amqp_channel_close_t& close);

  const RabbitOptions& options_;
  const config::WireHeaders& wire_;
  ChannelNumbers& numbers_;
  Topology& topology_;
  RabbitMetrics& metrics_;

  amqp_channel_t channel_ = 0;  // 0: not open
  Clock::time_point reopen_at_{};
  std::uint64_t next_tag_ = 0;
  bool blocked_ = false;
  bool consuming_direct_ = false;
  std::deque<Outgoing> queued_;
  ConfirmTracker tracker_;
  ContentAssembler assembler_;
  std::vector<bridge::BrokerClient::OnReply> direct_replies_;
};

}  // namespace causeway::rabbitmq
