#pragma once
// The Kafka wire contract for a request: which topic, key, value and headers a route
// publishes (DESIGN.md "Kafka wire contract"). Pure, so it is unit-tested directly.

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "bridge/broker_client.h"
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

// The message, or why the request cannot become one (a 400 message: a name the path
// makes that `producer`'s broker does not allow). The body is moved out of the request.
// Header names follow the broker's convention.
std::variant<OutboundMessage, std::string> build_event_message(const config::Route& route,
                                                               const config::TopicTarget& target,
                                                               const config::WireHeaders& wire, Request& request,
                                                               const routing::Captures& captures,
                                                               const EventStamp& stamp,
                                                               const std::optional<ReplyChannel>& reply = std::nullopt,
                                                               const MessageProducer* producer = nullptr);

// RFC 3339 UTC with milliseconds, as CloudEvents' ce_time wants it.
std::string rfc3339(std::chrono::system_clock::time_point time);

}  // namespace causeway::bridge
