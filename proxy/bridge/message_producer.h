#pragma once
// What a flow needs from a broker to publish: the adapter (Kafka today) implements it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "bridge/exchange.h"

namespace causeway::bridge {

struct OutboundMessage {
  std::string topic;
  std::optional<std::int32_t> partition;  // the producer's partitioner decides when unset
  std::optional<std::string> key;
  std::string value;
  Headers headers;
};

struct DeliveryReport {
  enum class Outcome {
    stored,        // the broker acknowledged it
    not_stored,    // it never reached the broker (down, unreachable, timed out in the local queue)
    maybe_stored,  // sent, but no acknowledgement came back in time
    queue_full,    // refused locally: back-pressure
    too_large,     // bigger than the broker accepts
    rejected,      // the broker refused it for good (unknown topic, not authorized, ...)
  };
  Outcome outcome = Outcome::not_stored;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string error;  // empty when stored
};

class MessageProducer {
 public:
  using OnDelivery = std::function<void(const DeliveryReport&)>;
  virtual ~MessageProducer() = default;
  // Calls on_delivery exactly once, on any thread, possibly before returning.
  virtual void produce(OutboundMessage message, OnDelivery on_delivery) = 0;
};

}  // namespace causeway::bridge
