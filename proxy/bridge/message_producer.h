#pragma once
// What a flow needs from a broker to publish: the adapter (Kafka today) implements it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/exchange.h"

namespace causeway::bridge {

struct OutboundMessage {
  std::string topic;                      // Kafka: the topic; RabbitMQ: the exchange ("" the default one)
  std::optional<std::int32_t> partition;  // Kafka: the producer's partitioner decides when unset
  std::optional<std::string> key;         // Kafka: the message key; RabbitMQ: the routing key
  std::string value;
  Headers headers;
  // `topic` is a reply address a request gave in its reply-to: the adapter decides how
  // to reach it (Kafka: that topic; RabbitMQ: the default exchange, that routing key).
  bool to_reply_address = false;
};

struct DeliveryReport {
  enum class Outcome {
    stored,        // the broker acknowledged it
    not_stored,    // it never reached the broker (down, unreachable, timed out in the local queue)
    maybe_stored,  // sent, but no acknowledgement came back in time
    queue_full,    // refused locally: back-pressure
    too_large,     // bigger than the broker accepts
    rejected,      // the broker refused it for good (unknown topic, not authorized, ...)
    unroutable,    // stored nowhere: no queue is bound for it (RabbitMQ's basic.return)
  };
  Outcome outcome = Outcome::not_stored;
  std::int32_t partition = -1;  // Kafka only
  std::int64_t offset = -1;     // Kafka only
  std::string error;  // empty when stored
};

class MessageProducer {
 public:
  using OnDelivery = std::function<void(const DeliveryReport&)>;
  virtual ~MessageProducer() = default;
  // Calls on_delivery exactly once, on any thread, possibly before returning.
  virtual void produce(OutboundMessage message, OnDelivery on_delivery) = 0;
  // Why the broker would not take a message to this topic (or exchange), for a name a
  // request's path made: nullopt when it would.
  virtual std::optional<std::string> invalid_destination(std::string_view name) const { return std::nullopt; }
};

}  // namespace causeway::bridge
