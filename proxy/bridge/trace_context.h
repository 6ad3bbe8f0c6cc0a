#pragma once
// W3C Trace Context: every message carries a traceparent, continuing the caller's
// trace when it sent a valid one.

#include <optional>
#include <string>
#include <string_view>

namespace causeway::bridge {

struct TraceContext {
  std::string traceparent;
  std::optional<std::string> tracestate;  // passed on only with the caller's trace
};

// The caller's trace id and flags with a new span id for this hop; a new trace
// (sampled) when the caller sent none or an invalid one.
TraceContext continue_trace(const std::string* traceparent, const std::string* tracestate);

// Whether text is a traceparent we can continue (version 00, or a later one read as 00).
bool valid_traceparent(std::string_view text);

}  // namespace causeway::bridge
