#include "rabbitmq/queue_consumer.h"

#include <spdlog/spdlog.h>

#include <random>

#include "bridge/delivery_message.h"
#include "rabbitmq/amqp_bytes.h"
#include "rabbitmq/header_mapping.h"

namespace causeway::rabbitmq {
namespace {

// A consumer that cannot be set up (its queue missing with declare off, access refused)
// is tried again, from 1s up to 30s apart.
std::chrono::milliseconds retry_delay(int failures) {
  static const config::RetryPolicy policy = [] {
    config::RetryPolicy retry;
    retry.backoff = std::chrono::seconds(1);
    retry.max_backoff = std::chrono::seconds(30);
    return retry;
  }();
  thread_local std::mt19937 random{std::random_device{}()};
  return bridge::backoff_delay(policy, failures, std::uniform_real_distribution<double>(0, 1)(random));
}

}  // namespace

QueueConsumer::QueueConsumer(ConsumerSpec spec, Events events, const RabbitOptions& options,
                             const config::WireHeaders& wire, ChannelNumbers& numbers, Topology& topology,
                             RabbitMetrics& metrics)
    : spec_(std::move(spec)),
      events_(std::move(events)),
      options_(options),
      wire_(wire),
      numbers_(numbers),
      topology_(topology),
      metrics_(metrics) {}

CallResult QueueConsumer::ensure(AmqpSession* session) {
  if (channel_ != 0) return {};
  if (!session || session->broken()) return {CallResult::Kind::connection_broken, 0, "not connected to the broker"};
  return set_up(*session);
}

CallResult QueueConsumer::set_up(AmqpSession& session) {
  std::int64_t messages = 0;
  CallResult result = topology_.ensure_queue(session, spec_.queue, messages);
  for (std::size_t i = 0; result && i < spec_.bind.size(); ++i) {
    result = topology_.bind(session, spec_.queue, spec_.bind[i].exchange, spec_.bind[i].routing_key);
  }
  if (result) result = consume(session);
  if (!result) {
    retry_at_ = Clock::now() + retry_delay(++failures_);
    if (result.kind == CallResult::Kind::channel_closed) metrics_.channel_errors.inc();
    spdlog::warn("rabbitmq: cannot consume from queue '{}': {}", spec_.queue, result.error);
    return result;
  }
  failures_ = 0;
  messages_.store(messages);
  events_.opened();
  return result;
}

CallResult QueueConsumer::consume(AmqpSession& session) {
  channel_ = numbers_.take(*this);
  if (channel_ == 0) return {CallResult::Kind::channel_closed, 0, "no channel number left on the connection"};
  amqp_channel_open(session.state(), channel_);
  CallResult result = session.check_rpc(channel_, "channel.open");
  if (result) {
    amqp_basic_qos(session.state(), channel_, 0, spec_.prefetch, 0);
    result = session.check_rpc(channel_, "basic.qos");
  }
  const amqp_basic_consume_ok_t* ok = nullptr;
  if (result) {
    ok = amqp_basic_consume(session.state(), channel_, bytes_of(spec_.queue), amqp_empty_bytes, 0, 0, 0,
                            amqp_empty_table);
    result = session.check_rpc(channel_, "basic.consume");
  }
  if (!result) {
    numbers_.release(channel_);
    channel_ = 0;
    return result;
  }
  consumer_tag_ = ok ? text_of(ok->consumer_tag) : std::string();
  ++epoch_;
  assembler_.reset();
  return result;
}

void QueueConsumer::ack(AmqpSession* session, const DeliveryHandle& handle) {
  if (!session || session->broken() || channel_ == 0 || handle.channel_epoch != epoch_) {
    metrics_.stale_acks.inc();
    return;
  }
  session->check_sent(amqp_basic_ack(session->state(), channel_, handle.tag, 0), "basic.ack");
}

void QueueConsumer::cancel(AmqpSession* session) {
  if (stopped_) return;
  stopped_ = true;
  if (!session || session->broken() || channel_ == 0) return;
  amqp_basic_cancel(session->state(), channel_, bytes_of(consumer_tag_));
  // A channel error here closes the channel, which hands back what was not acked: the same as a close.
  if (CallResult result = session->check_rpc(channel_, "basic.cancel"); !result) lost(result.error, false);
}

void QueueConsumer::close(AmqpSession* session) {
  stopped_ = true;
  if (channel_ == 0) return;
  if (session) session->close_channel(channel_);
  numbers_.release(channel_);
  channel_ = 0;
}

void QueueConsumer::count_messages(AmqpSession* session) {
  std::int64_t messages = 0;
  if (session && !session->broken() && topology_.count(*session, spec_.queue, messages)) messages_.store(messages);
}

void QueueConsumer::connected(AmqpSession& session) {
  channel_ = 0;
  if (!stopped_) set_up(session);
}

void QueueConsumer::lost(const std::string& why, bool retry_later) {
  if (channel_ != 0) numbers_.release(channel_);
  channel_ = 0;
  assembler_.reset();
  if (retry_later) retry_at_ = Clock::now() + retry_delay(++failures_);
  events_.closed(why);
}

void QueueConsumer::frame(AmqpSession& session, const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) {
    if (auto content = assembler_.add(frame)) arrived(session, std::move(*content));
    return;
  }
  const amqp_method_t& method = frame.payload.method;
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const CallResult closed =
        session.closed_by_broker(channel_, *static_cast<const amqp_channel_close_t*>(method.decoded));
    metrics_.channel_errors.inc();
    spdlog::warn("rabbitmq: the broker closed the channel consuming '{}': {}", spec_.queue, closed.error);
    lost(closed.error, true);
  } else if (method.id == AMQP_BASIC_CANCEL_METHOD) {
    // consumer_cancel_notify: the queue was deleted or its node went away.
    spdlog::warn("rabbitmq: the broker cancelled the consumer of '{}'", spec_.queue);
    session.close_channel(channel_);
    lost("the broker cancelled the consumer", true);
  } else {
    assembler_.start(frame);
  }
}

void QueueConsumer::arrived(AmqpSession& session, ArrivedContent content) {
  Delivery delivery;
  delivery.redelivered = content.redelivered;
  delivery.handle = DeliveryHandle{epoch_, content.delivery_tag};
  delivery.message = to_inbound(std::move(content.properties), std::move(content.body),
                                Arrival{content.exchange, content.routing_key, spec_.queue}, wire_);
  switch (events_.delivered(std::move(delivery))) {
    case Disposition::later: break;
    case Disposition::ack: ack(&session, DeliveryHandle{epoch_, content.delivery_tag}); break;
    case Disposition::requeue:
      session.check_sent(amqp_basic_nack(session.state(), channel_, content.delivery_tag, 0, 1), "basic.nack");
      break;
  }
}

std::optional<ChannelOwner::Clock::time_point> QueueConsumer::tick(AmqpSession* session, Clock::time_point now) {
  if (stopped_ || channel_ != 0 || !session) return std::nullopt;
  if (now >= retry_at_) set_up(*session);
  return channel_ == 0 ? std::optional(retry_at_) : std::nullopt;
}

void QueueConsumer::disconnected(const std::string& why) {
  if (channel_ == 0) return;
  channel_ = 0;
  assembler_.reset();
  events_.closed(why);
}

}  // namespace causeway::rabbitmq
