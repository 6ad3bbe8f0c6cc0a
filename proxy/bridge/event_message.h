#pragma once
// The Kafka wire contract for a request: which topic, key, value and headers a route
// publishes (DESIGN.md "Kafka wire contract"). Pure, so it is unit-tested directly.

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "bridge/exchange.h"
#include "bridge/message_producer.h"
#include "bridge/trace_context.h"
#include "config/config.h"
#include "routing/captures.h"

namespace causeway::bridge {

struct EventStamp {
  std::string correlation_id;
  TraceContext trace;
  std::chrono::system_clock::time_point time;
};

// The correlation id and trace for a request: derived from its Idempotency-Key and
// traceparent when it has them.
EventStamp stamp_request(const config::Route& route, const Request& request);

// Where a request-reply message asks its reply to go.
struct ReplyAddress {
  std::string topic;
  std::int32_t partition = 0;
};

// The message, or why the request cannot become one (a 400 message). The body is
// moved out of the request. Header names follow the broker's convention.
std::variant<OutboundMessage, std::string> build_event_message(const config::Route& route,
                                                               const config::TopicTarget& target,
                                                               const config::WireHeaders& wire, Request& request,
                                                               const routing::Captures& captures,
                                                               const EventStamp& stamp,
                                                               const std::optional<ReplyAddress>& reply = std::nullopt);

// A partition number as the broker's peers expect it: decimal text, or 4 bytes big-endian.
std::string encode_partition(std::int32_t partition, config::WireHeaders::PartitionEncoding encoding);

// Kafka's rule: 1..249 characters of [A-Za-z0-9._-], and not "." or "..".
bool valid_topic_name(std::string_view topic);

// RFC 3339 UTC with milliseconds, as CloudEvents' ce_time wants it.
std::string rfc3339(std::chrono::system_clock::time_point time);

}  // namespace causeway::bridge
