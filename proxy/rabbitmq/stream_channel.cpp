#include "rabbitmq/stream_channel.h"

#include <spdlog/spdlog.h>

#include "rabbitmq/amqp_bytes.h"
#include "rabbitmq/header_mapping.h"

namespace causeway::rabbitmq {
namespace {

using namespace std::chrono_literals;

// How often a client that is behind is asked again whether it takes more.
constexpr auto kReadyPoll = 20ms;

// The AMQP type property names the event, as a `type` header does on Kafka.
void type_from_property(bridge::Headers& headers) {
  if (bridge::find_header(headers, "type")) return;
  if (const std::string* type = bridge::find_header(headers, "amqp-type")) headers.push_back({"type", *type});
}

}  // namespace

void StreamChannel::connected(AmqpSession&) {
  channel_ = 0;  // opened by the first client
  assembler_.reset();
}

void StreamChannel::disconnected(const std::string& why) {
  channel_ = 0;
  assembler_.reset();
  end_all(why);
}

void StreamChannel::end_all(const std::string& why) {
  std::map<std::string, Stream> ended;
  ended.swap(streams_);
  // A receiver's leaving only posts its close: nothing here changes under this loop.
  for (auto& [tag, stream] : ended) stream.receiver->ended(why);
}

CallResult StreamChannel::open_channel(AmqpSession& session) {
  if (channel_ != 0) return {};
  channel_ = numbers_.take(*this);
  if (channel_ == 0) return {CallResult::Kind::channel_closed, 0, "no channel number left on the connection"};
  amqp_channel_open(session.state(), channel_);
  CallResult result = session.check_rpc(channel_, "channel.open");
  if (result) {
    // Not global: the prefetch counts for each consumer on the channel alone.
    amqp_basic_qos(session.state(), channel_, 0, prefetch_, 0);
    result = session.check_rpc(channel_, "basic.qos");
  }
  if (!result) {
    numbers_.release(channel_);
    channel_ = 0;
  }
  return result;
}

CallResult StreamChannel::open_stream(AmqpSession& session, const std::string& exchange, const std::string& binding_key,
                                      std::shared_ptr<StreamTicket> ticket,
                                      std::shared_ptr<bridge::StreamReceiver> receiver) {
  if (!ticket->open.load()) return {};  // gone before its turn came
  std::string queue;
  CallResult result = topology_.declare_stream_queue(session, kStreamQueueLength, queue);
  if (result) result = open_channel(session);
  if (!result) return result;
  // Consumed before it is bound, so that a failed bind is undone by the cancel: an
  // auto-delete queue goes with its last consumer, and nothing came to it yet.
  const std::string tag = "causeway-stream-" + std::to_string(++next_tag_);
  amqp_basic_consume(session.state(), channel_, bytes_of(queue), bytes_of(tag), 0, 0, 0, amqp_empty_table);
  result = session.check_rpc(channel_, "basic.consume");
  if (!result) {
    if (result.kind == CallResult::Kind::channel_closed) {
      numbers_.release(channel_);
      channel_ = 0;
      end_all("the stream channel was closed: " + result.error);
    }
    return result;
  }
  ticket->consumer_tag = tag;
  streams_.emplace(tag, Stream{exchange, ticket, std::move(receiver), {}});
  result = topology_.bind(session, queue, exchange, binding_key);
  if (!result) {
    close_stream(&session, *ticket);
    ticket->consumer_tag.clear();
  }
  return result;
}

void StreamChannel::close_stream(AmqpSession* session, const StreamTicket& ticket) {
  auto found = streams_.find(ticket.consumer_tag);
  if (found == streams_.end()) return;  // never consumed, or ended already
  if (session && !session->broken() && channel_ != 0) {
    for (const Held& held : found->second.held) ack(*session, held.tag);
    amqp_basic_cancel_t cancel{bytes_of(ticket.consumer_tag), 1};
    session->check_sent(amqp_send_method(session->state(), channel_, AMQP_BASIC_CANCEL_METHOD, &cancel),
                        "basic.cancel");
  }
  streams_.erase(found);
}

void StreamChannel::frame(AmqpSession& session, const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) {
    if (auto content = assembler_.add(frame)) arrived(session, std::move(*content));
    return;
  }
  const amqp_method_t& method = frame.payload.method;
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const CallResult closed =
        session.closed_by_broker(channel_, *static_cast<const amqp_channel_close_t*>(method.decoded));
    spdlog::warn("rabbitmq: the broker closed the stream channel: {}", closed.error);
    numbers_.release(channel_);
    channel_ = 0;
    assembler_.reset();
    end_all("the broker closed the stream channel: " + closed.error);
  } else if (method.id == AMQP_BASIC_CANCEL_METHOD) {
    // consumer_cancel_notify: the client's queue was deleted under it.
    const auto* cancel = static_cast<const amqp_basic_cancel_t*>(method.decoded);
    auto found = streams_.find(text_of(cancel->consumer_tag));
    if (found == streams_.end()) return;
    for (const Held& held : found->second.held) ack(session, held.tag);
    const std::shared_ptr<bridge::StreamReceiver> receiver = found->second.receiver;
    streams_.erase(found);
    receiver->ended("the broker cancelled the stream's consumer");
  } else {
    assembler_.start(frame);
  }
}

void StreamChannel::arrived(AmqpSession& session, ArrivedContent content) {
  auto found = streams_.find(content.consumer_tag);
  if (found == streams_.end() || !found->second.ticket->open.load()) {
    ack(session, content.delivery_tag);  // its client left: dropped with its queue
    return;
  }
  Stream& stream = found->second;
  bridge::InboundMessage message = to_inbound(std::move(content.properties), std::move(content.body),
                                              Arrival{content.exchange, content.routing_key, ""}, wire_);
  message.topic = stream.exchange;
  message.key = content.routing_key;
  type_from_property(message.headers);
  stream.held.push_back(Held{std::move(message), content.delivery_tag});
  hand_over(session, stream);
}

bool StreamChannel::hand_over(AmqpSession& session, Stream& stream) {
  while (!stream.held.empty()) {
    if (stream.ticket->open.load()) {
      if (!stream.receiver->ready_for_more()) return false;
      stream.receiver->event(stream.held.front().message);
    }
    ack(session, stream.held.front().tag);
    stream.held.pop_front();
  }
  return true;
}

void StreamChannel::ack(AmqpSession& session, std::uint64_t tag) {
  if (channel_ == 0 || session.broken()) return;
  session.check_sent(amqp_basic_ack(session.state(), channel_, tag, 0), "basic.ack");
}

std::optional<ChannelOwner::Clock::time_point> StreamChannel::tick(AmqpSession* session, Clock::time_point now) {
  if (!session) return std::nullopt;
  bool behind = false;
  for (auto& [tag, stream] : streams_) {
    if (!hand_over(*session, stream)) behind = true;
  }
  return behind ? std::optional(now + kReadyPoll) : std::nullopt;
}

}  // namespace causeway::rabbitmq
