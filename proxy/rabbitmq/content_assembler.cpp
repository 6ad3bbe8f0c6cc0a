#include "rabbitmq/content_assembler.h"

#include "rabbitmq/amqp_bytes.h"
#include "rabbitmq/amqp_properties.h"

namespace causeway::rabbitmq {

bool ContentAssembler::start(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return false;
  ArrivedContent content;
  if (frame.payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
    const auto* deliver = static_cast<const amqp_basic_deliver_t*>(frame.payload.method.decoded);
    content.kind = ArrivedContent::Kind::delivery;
    content.consumer_tag = text_of(deliver->consumer_tag);
    content.delivery_tag = deliver->delivery_tag;
    content.redelivered = deliver->redelivered != 0;
    content.exchange = text_of(deliver->exchange);
    content.routing_key = text_of(deliver->routing_key);
  } else if (frame.payload.method.id == AMQP_BASIC_RETURN_METHOD) {
    const auto* returned = static_cast<const amqp_basic_return_t*>(frame.payload.method.decoded);
    content.kind = ArrivedContent::Kind::returned;
    content.reply_code = returned->reply_code;
    content.reply_text = text_of(returned->reply_text);
    content.exchange = text_of(returned->exchange);
    content.routing_key = text_of(returned->routing_key);
  } else {
    return false;
  }
  pending_ = std::move(content);
  have_header_ = false;
  body_size_ = 0;
  return true;
}

std::optional<ArrivedContent> ContentAssembler::add(const amqp_frame_t& frame) {
  if (!pending_) return std::nullopt;
  if (frame.frame_type == AMQP_FRAME_HEADER && !have_header_) {
    have_header_ = true;
    body_size_ = frame.payload.properties.body_size;
    pending_->properties =
        read_properties(*static_cast<const amqp_basic_properties_t*>(frame.payload.properties.decoded));
    pending_->body.reserve(body_size_);
  } else if (frame.frame_type == AMQP_FRAME_BODY && have_header_) {
    pending_->body.append(static_cast<const char*>(frame.payload.body_fragment.bytes), frame.payload.body_fragment.len);
  } else {
    return std::nullopt;
  }
  if (pending_->body.size() < body_size_) return std::nullopt;
  std::optional<ArrivedContent> whole = std::move(pending_);
  pending_.reset();
  return whole;
}

}  // namespace causeway::rabbitmq
