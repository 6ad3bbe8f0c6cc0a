#pragma once
// What runs on the channels of a broker connection (the publisher, each queue consumer)
// as the connection's I/O thread drives it. All of it is called on that thread.

#include <amqp.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace causeway::rabbitmq {

class AmqpSession;

class ChannelOwner {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~ChannelOwner() = default;

  // A connection is up (again): open a channel and set it up.
  virtual void connected(AmqpSession& session) = 0;
  // A frame that came on this owner's channel.
  virtual void frame(AmqpSession& session, const amqp_frame_t& frame) = 0;
  // Timers and retries; session is null while disconnected. When to be called again at
  // the latest (nullopt: no hurry).
  virtual std::optional<Clock::time_point> tick(AmqpSession* session, Clock::time_point now) = 0;
  // The connection is gone: nothing more can be sent or received on it.
  virtual void disconnected(const std::string& why) = 0;
};

// The channel numbers of one connection and who holds each. A channel that is opened
// again gets a new number, so that frames of the old one that the library still holds
// are never taken for the new one's (its delivery tags mean nothing there).
class ChannelNumbers {
 public:
  void reset(int channel_max);  // a new connection
  // 0 when every number is taken.
  amqp_channel_t take(ChannelOwner& owner);
  void release(amqp_channel_t channel);
  ChannelOwner* owner(amqp_channel_t channel) const;

 private:
  int max_ = 0;
  amqp_channel_t next_ = 1;
  std::map<amqp_channel_t, ChannelOwner*> owners_;
};

}  // namespace causeway::rabbitmq
