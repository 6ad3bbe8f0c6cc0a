#pragma once
// A basic.deliver or basic.return comes as frames: the method, a content header with the
// properties, then body frames. This puts one channel's together without blocking (the
// I/O thread reads whatever frames are there and moves on), copying out of the library's
// pool as each frame arrives so that the pool can be recycled at once.

#include <amqp.h>

#include <cstdint>
#include <optional>
#include <string>

#include "rabbitmq/message_properties.h"

namespace causeway::rabbitmq {

struct ArrivedContent {
  enum class Kind { delivery, returned };
  Kind kind = Kind::delivery;
  std::string exchange;
  std::string routing_key;
  // basic.deliver:
  std::string consumer_tag;
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;
  // basic.return:
  std::uint16_t reply_code = 0;
  std::string reply_text;

  MessageProperties properties;
  std::string body;
};

class ContentAssembler {
 public:
  // A method frame that starts a message (basic.deliver, basic.return): true, and the
  // header and body frames that follow belong to it.
  bool start(const amqp_frame_t& frame);
  // A header or body frame: the message once it is whole. Frames that belong to no
  // message are ignored.
  std::optional<ArrivedContent> add(const amqp_frame_t& frame);
  void reset() { pending_.reset(); }

 private:
  std::optional<ArrivedContent> pending_;
  bool have_header_ = false;
  std::uint64_t body_size_ = 0;
};

}  // namespace causeway::rabbitmq
