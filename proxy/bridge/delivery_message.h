#pragma once
// The delivery contract (DESIGN.md "Delivery"): the HTTP call a message becomes,
// which answers count as handled, when to retry, and the dead-letter and reply
// messages. Pure, so it is unit-tested directly.

#include <chrono>
#include <optional>
#include <string>

#include "bridge/exchange.h"
#include "bridge/inbound_message.h"
#include "bridge/message_producer.h"
#include "bridge/service_caller.h"
#include "config/config.h"
#include "routing/captures.h"

namespace causeway::bridge {

// What a message offers a template: topic, key, and its origin ("routing-key" is
// written routing_key), as they are.
routing::Captures message_variables(const InboundMessage& message);

// The call for a message: the route's method and path (variables topic, key and the
// message's origin: partition and offset on Kafka, exchange, routing_key and queue on
// RabbitMQ; percent-encoded), the value as body, the message's headers that are valid
// HTTP (names lower-cased), and where it came from (origin_prefix + name: x-kafka-offset).
// A SOAP target without a path gets none: its caller puts the soap:address path.
ServiceCall service_call(const config::UpstreamTarget& target, const InboundMessage& message);

enum class Verdict {
  handled,      // 2xx
  retry,        // 408, 429, 5xx, no answer at all
  dead_letter,  // any other answer: sending it again would not help
};
Verdict judge(const ServiceResult& result);

// Exponential backoff with jitter: before the retry after `failures` failed attempts,
// between half and all of backoff * 2^(failures-1), at most max_backoff. `random` in [0, 1).
std::chrono::milliseconds backoff_delay(const config::RetryPolicy& policy, int failures, double random);

// The message as it was, plus dlt-original-<origin> (topic, partition, offset on Kafka;
// exchange, routing-key, queue on RabbitMQ), dlt-attempts, dlt-error.
OutboundMessage dead_letter_message(const InboundMessage& message, const std::string& topic, int attempts,
                                    const std::string& error);

// The reply a message asks for with reply-to and correlation-id (in the broker's
// header names), carrying the answer and a status header; nullopt when it asks none.
std::optional<OutboundMessage> reply_message(const InboundMessage& message, const config::WireHeaders& wire,
                                             const Response& answer);

// Why a delivery failed, in a line: "503 from the service", "connection refused".
std::string describe(const ServiceResult& result);

}  // namespace causeway::bridge
