#pragma once
// Stream routes (stream: sse) as the broker side sees them: each client subscribes to
// a topic or exchange and is handed its messages from now on, or from right after the
// position it last saw. The adapter knows what a position is (Kafka: offsets per
// partition) and how readers are shared; the flow only renders what it is handed.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "bridge/inbound_message.h"

namespace causeway::bridge {

struct StreamRequest {
  std::string route;
  std::string destination;                  // Kafka: the topic; RabbitMQ: the exchange
  std::optional<std::string> key;           // only messages with this key (RabbitMQ: routing key)
  std::optional<std::string> resume_after;  // a position an earlier event carried (Last-Event-ID)
};

// What a subscription hands messages to, on the adapter's threads: quick, never blocks.
class StreamReceiver {
 public:
  virtual ~StreamReceiver() = default;
  // message.position is the client's position after this message: what it resumes from.
  virtual void event(const InboundMessage& message) = 0;
  // Nothing more will come (the broker's side ended: a lost channel that cannot resume).
  virtual void ended(const std::string& why) = 0;
  // False while the client is well behind (half its buffer waits): a reader shared by
  // many clients gives it a moment to catch up before it goes on; one of its own waits.
  virtual bool ready_for_more() const { return true; }
};

// Held as long as the client is there. Dropping it unsubscribes: quick, from any thread
// (also from inside a receiver call); a call under way may still finish.
class StreamSubscription {
 public:
  virtual ~StreamSubscription() = default;
};

// subscribe() with a resume position this broker cannot read (malformed, another topic's).
struct BadStreamPosition : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

}  // namespace causeway::bridge
