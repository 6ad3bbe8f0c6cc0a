#pragma once
// What a delivery flow is fed by: a broker consumer (a Kafka group member, a RabbitMQ
// queue consumer) hands over messages, each with a handle that acknowledges it. The
// adapter knows what an acknowledgement means (an offset becomes committable once
// every one before it is; basic.ack of a delivery tag), the flow only when to give it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/inbound_message.h"

namespace causeway::bridge {

// One per message. Dropping it without handled() leaves the message unacknowledged:
// the broker gives it again to whoever reads next (a restart, a rebalance, a lost channel).
class Acknowledger {
 public:
  virtual ~Acknowledger() = default;
  // Handled for good: delivered, or dead-lettered and the dead letter stored. At most
  // once, from any thread; quick (posts to the adapter's own thread when it must).
  virtual void handled() = 0;
};

struct SourcedMessage {
  InboundMessage message;
  // Messages of one lane come in the broker's order: a Kafka partition ("topic/3"), a
  // RabbitMQ queue. Order per key is kept within a lane.
  std::string lane;
  // Messages of one order key reach the service one at a time, in order; none: the
  // message key. (RabbitMQ: a configured header, else the routing key.)
  std::optional<std::string> order_key;
  bool redelivered = false;  // the broker says it may have been handled before (counted)
  std::unique_ptr<Acknowledger> ack;
};

// The delivery flow, as its source sees it.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void lane_opened(const std::string& lane) = 0;
  // The lane goes away (rebalance, lost channel): nothing new starts on it, deliveries
  // in flight get up to `wait` to finish, the rest are dropped unacknowledged.
  virtual void lane_closed(const std::string& lane, std::chrono::milliseconds wait) = 0;
  virtual void deliver(SourcedMessage message) = 0;
  // Draining: nothing new starts; then waits until nothing is in flight or the deadline.
  virtual void stop_starting() = 0;
  virtual bool wait_idle(std::chrono::steady_clock::time_point deadline) = 0;
};

// Back-pressure from the flow to its source: stop and restart handing over a lane's
// messages. Called under the flow's lock so that a hold and the release after it
// cannot arrive in the other order: quick, and never calls back into the flow.
class LaneControl {
 public:
  virtual ~LaneControl() = default;
  virtual void hold(const std::string& lane) = 0;
  virtual void release(const std::string& lane) = 0;
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Starts reading on threads of its own, handing messages to `sink` (which outlives it).
  virtual void start(MessageSink& sink) = 0;
  // Draining: stops reading, lets the sink finish until the deadline, acknowledges
  // what was handled and leaves (the group, the channel).
  virtual void stop(std::chrono::steady_clock::time_point deadline) = 0;
  // Null when the broker's own window (a prefetch) is the back-pressure.
  virtual LaneControl* control() = 0;
  // True once it reads: the group gave its first assignment (Kafka, even of no partition)
  // or the broker took the consumer (RabbitMQ). Readiness waits for it.
  virtual bool reading() const = 0;

  struct Lag {
    std::string lane;       // "3" for a Kafka partition, the queue's name
    std::int64_t messages;  // waiting at the broker and not yet handled
  };
  virtual std::vector<Lag> lag() = 0;
};

}  // namespace causeway::bridge
