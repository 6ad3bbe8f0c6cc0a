#include "rabbitmq/publish_channel.h"

#include <spdlog/spdlog.h>

#include "rabbitmq/amqp_bytes.h"
#include "rabbitmq/amqp_properties.h"
#include "rabbitmq/amqp_session.h"
#include "rabbitmq/channel_errors.h"
#include "rabbitmq/publication_limits.h"

namespace causeway::rabbitmq {
namespace {

using Outcome = bridge::DeliveryReport::Outcome;
constexpr auto kReopenDelay = std::chrono::seconds(1);

void answer(const bridge::MessageProducer::OnDelivery& on_delivery, Outcome outcome, std::string error) {
  bridge::DeliveryReport report;
  report.outcome = outcome;
  report.error = std::move(error);
  on_delivery(report);
}

}  // namespace

PublishChannel::PublishChannel(const RabbitOptions& options, const config::WireHeaders& wire, ChannelNumbers& numbers,
                               Topology& topology, RabbitMetrics& metrics)
    : options_(options), wire_(wire), numbers_(numbers), topology_(topology), metrics_(metrics) {}

void PublishChannel::publish(AmqpSession* session, Publication publication, OnDelivery on_delivery) {
  if (!session || session->broken()) {
    answer(on_delivery, Outcome::not_stored, "not connected to the broker");
    return;
  }
  if (auto problem = oversize(publication, session->frame_max())) {
    answer(on_delivery, Outcome::too_large, *problem);
    return;
  }
  Outgoing outgoing{std::move(publication), std::move(on_delivery), Clock::now() + options_.confirm_timeout};
  if (channel_ == 0 || blocked_ || !queued_.empty()) {
    queued_.push_back(std::move(outgoing));  // in order behind what already waits
    return;
  }
  send(*session, std::move(outgoing));
}

CallResult PublishChannel::open_direct_replies(AmqpSession* session, bridge::BrokerClient::OnReply on_reply) {
  direct_replies_.push_back(std::move(on_reply));
  if (!session || channel_ == 0 || consuming_direct_) return {};
  return consume_direct_replies(*session);
}

void PublishChannel::set_blocked(bool blocked) { blocked_ = blocked; }

void PublishChannel::connected(AmqpSession& session) { open(session); }

void PublishChannel::open(AmqpSession& session) {
  channel_ = numbers_.take(*this);
  CallResult result{CallResult::Kind::channel_closed, 0, "no channel number left"};
  if (channel_ != 0) {
    amqp_channel_open(session.state(), channel_);
    result = session.check_rpc(channel_, "channel.open");
  }
  if (result) {
    amqp_confirm_select(session.state(), channel_);
    result = session.check_rpc(channel_, "confirm.select");
  }
  if (!result) {
    if (channel_ != 0) numbers_.release(channel_);
    channel_ = 0;
    reopen_at_ = Clock::now() + kReopenDelay;
    spdlog::warn("rabbitmq: cannot open the publishing channel: {}", result.error);
    return;
  }
  next_tag_ = 0;
  assembler_.reset();
  consuming_direct_ = false;
  if (!direct_replies_.empty()) consume_direct_replies(session);
}

CallResult PublishChannel::consume_direct_replies(AmqpSession& session) {
  // No-ack: the broker hands a direct reply over once, to this channel only.
  amqp_basic_consume(session.state(), channel_, amqp_cstring_bytes(kDirectReplyTo.data()), amqp_empty_bytes, 0, 1, 0,
                     amqp_empty_table);
  CallResult result = session.check_rpc(channel_, "basic.consume amq.rabbitmq.reply-to");
  consuming_direct_ = static_cast<bool>(result);
  if (result.kind == CallResult::Kind::channel_closed) {
    metrics_.channel_errors.inc();
    tracker_.channel_closed(std::nullopt, result.error);
    numbers_.release(channel_);
    channel_ = 0;
    reopen_at_ = Clock::now() + kReopenDelay;
  }
  return result;
}

void PublishChannel::send(AmqpSession& session, Outgoing outgoing) {
  Publication& publication = outgoing.publication;
  if (publication.properties.reply_to == kDirectReplyTo && !consuming_direct_) {
    // The broker would close the channel for it, failing every message still unconfirmed.
    answer(outgoing.on_delivery, Outcome::rejected, "direct reply-to is not being consumed on this connection");
    return;
  }
  if (CallResult exchange = topology_.ensure_exchange(session, publication.exchange); !exchange) {
    const bool broken = exchange.kind == CallResult::Kind::connection_broken;
    answer(outgoing.on_delivery, broken ? Outcome::not_stored : Outcome::rejected, exchange.error);
    return;
  }
  const EncodedProperties properties(publication.properties);
  const int status =
      amqp_basic_publish(session.state(), channel_, bytes_of(publication.exchange), bytes_of(publication.routing_key),
                         1, 0, properties.get(), bytes_of(publication.body));
  if (!session.check_sent(status, "basic.publish")) {
    answer(outgoing.on_delivery, Outcome::not_stored, session.broken_reason());
    return;
  }
  const Clock::time_point written = Clock::now();
  auto on_delivery = [written, done = std::move(outgoing.on_delivery),
                      &latency = metrics_.confirm_latency](const bridge::DeliveryReport& report) {
    if (report.outcome == Outcome::stored) {
      latency.observe(std::chrono::duration<double>(Clock::now() - written).count());
    }
    done(report);
  };
  tracker_.sent(
      ++next_tag_,
      ConfirmTracker::Identity{publication.exchange, publication.routing_key, publication.properties.message_id},
      written + options_.confirm_timeout, std::move(on_delivery));
}

void PublishChannel::send_queued(AmqpSession& session) {
  while (channel_ != 0 && !blocked_ && !queued_.empty() && !session.broken()) {
    Outgoing outgoing = std::move(queued_.front());
    queued_.pop_front();
    send(session, std::move(outgoing));
  }
}

void PublishChannel::frame(AmqpSession& session, const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) {
    if (auto content = assembler_.add(frame)) arrived(std::move(*content));
    return;
  }
  const amqp_method_t& method = frame.payload.method;
  switch (method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      tracker_.acked(ack->delivery_tag, ack->multiple != 0);
      break;
    }
    case AMQP_BASIC_NACK_METHOD: {
      const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
      tracker_.nacked(nack->delivery_tag, nack->multiple != 0);
      break;
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
      channel_error(session, *static_cast<const amqp_channel_close_t*>(method.decoded));
      break;
    case AMQP_BASIC_CANCEL_METHOD: consuming_direct_ = false; break;  // consumed again by the next tick
    default: assembler_.start(frame); break;                          // basic.return, basic.deliver
  }
}

void PublishChannel::arrived(ArrivedContent content) {
  if (content.kind == ArrivedContent::Kind::returned) {
    metrics_.returns.inc();
    const ConfirmTracker::Identity identity{content.exchange, content.routing_key, content.properties.message_id};
    if (!tracker_.returned(identity, std::to_string(content.reply_code) + " " + content.reply_text)) {
      metrics_.unmatched_returns.inc();
    }
    return;
  }
  bridge::InboundMessage reply =
      to_inbound(std::move(content.properties), std::move(content.body),
                 Arrival{content.exchange, content.routing_key, std::string(kDirectReplyTo)}, wire_);
  for (const auto& on_reply : direct_replies_) {
    if (on_reply(reply)) return;
  }
  metrics_.dropped_replies.inc();
}

void PublishChannel::channel_error(AmqpSession& session, const amqp_channel_close_t& close) {
  const CallResult closed = session.closed_by_broker(channel_, close);
  metrics_.channel_errors.inc();
  spdlog::warn("rabbitmq: the broker closed the publishing channel: {} {}", closed.code, closed.error);
  const std::optional<std::string> exchange = missing_exchange(closed.error);
  if (exchange) topology_.forget_exchange(*exchange);
  tracker_.channel_closed(exchange, closed.error);
  numbers_.release(channel_);
  channel_ = 0;
  consuming_direct_ = false;
  if (!session.broken()) open(session);  // what is queued goes out on the new channel
}

std::optional<ChannelOwner::Clock::time_point> PublishChannel::tick(AmqpSession* session, Clock::time_point now) {
  if (!session) return std::nullopt;
  metrics_.confirm_timeouts.inc(tracker_.expire(now));
  while (!queued_.empty() && queued_.front().deadline <= now) {
    answer(
        queued_.front().on_delivery, Outcome::not_stored,
        blocked_ ? "the broker blocks publishing (a resource alarm)" : "the publishing channel did not reopen in time");
    queued_.pop_front();
  }
  if (channel_ == 0 && now >= reopen_at_) open(*session);
  if (channel_ != 0 && !consuming_direct_ && !direct_replies_.empty()) consume_direct_replies(*session);
  send_queued(*session);
  std::optional<Clock::time_point> next = tracker_.next_deadline();
  auto earliest = [&next](Clock::time_point at) { next = next ? std::min(*next, at) : at; };
  if (!queued_.empty()) earliest(queued_.front().deadline);
  if (channel_ == 0) earliest(reopen_at_);
  return next;
}

void PublishChannel::disconnected(const std::string& why) {
  channel_ = 0;
  consuming_direct_ = false;
  blocked_ = false;
  assembler_.reset();
  tracker_.connection_lost(why);
  std::deque<Outgoing> queued = std::exchange(queued_, {});
  for (Outgoing& outgoing : queued)
    answer(outgoing.on_delivery, Outcome::not_stored, "the connection was lost: " + why);
}

}  // namespace causeway::rabbitmq
