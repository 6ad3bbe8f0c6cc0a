#pragma once
// One live AMQP connection: connecting (TCP or TLS), logging in, and reading what each
// library call says about the channel it was on. rabbitmq-c is not thread-safe: a
// session is used by its connection's I/O thread only (connection_loop.h).

#include <amqp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "rabbitmq/rabbit_settings.h"

namespace causeway::rabbitmq {

// What became of a call on a channel.
struct CallResult {
  enum class Kind {
    ok,
    channel_closed,     // a channel error: the broker closed the channel (close-ok sent)
    connection_broken,  // the session is unusable; the loop reconnects
  };
  Kind kind = Kind::ok;
  std::uint16_t code = 0;  // the broker's reply code: 404, 406, 320, ...
  std::string error;       // "NOT_FOUND - no queue 'q' in vhost '/'"
  explicit operator bool() const { return kind == Kind::ok; }
};

class AmqpSession {
 public:
  // Connects and logs in within the options' connect_timeout; nullptr with `why` when it
  // cannot. `name` is shown in RabbitMQ's connection list ("causeway <name>").
  static std::unique_ptr<AmqpSession> connect(const RabbitSettings& settings, const std::string& name,
                                              std::string& why);
  ~AmqpSession();  // connection.close while it still works, then frees everything
  AmqpSession(const AmqpSession&) = delete;
  AmqpSession& operator=(const AmqpSession&) = delete;

  amqp_connection_state_t state() const { return state_; }
  int fd() const { return amqp_get_sockfd(state_); }
  std::size_t frame_max() const { return static_cast<std::size_t>(amqp_get_frame_max(state_)); }

  bool broken() const { return !broken_.empty(); }
  const std::string& broken_reason() const { return broken_; }
  void mark_broken(std::string why);

  // After an RPC (amqp_queue_declare, amqp_basic_consume, ...) on `channel`.
  CallResult check_rpc(amqp_channel_t channel, const char* what);
  // After a method sent without a reply (basic.publish, basic.ack): marks the session
  // broken when the library could not write it.
  bool check_sent(int status, const char* what);

  CallResult open_channel(amqp_channel_t channel);
  void close_channel(amqp_channel_t channel);
  // The broker sent channel.close as a frame: answers close-ok; what it said.
  CallResult closed_by_broker(amqp_channel_t channel, const amqp_channel_close_t& close);
  // The broker sent connection.close: answers close-ok and marks the session broken.
  void connection_closed_by_broker(const amqp_connection_close_t& close);

 private:
  explicit AmqpSession(amqp_connection_state_t state) : state_(state) {}

  amqp_connection_state_t state_;
  std::string broken_;
};

}  // namespace causeway::rabbitmq
