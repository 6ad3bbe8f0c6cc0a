#pragma once
// The callback contract (DESIGN.md "Callbacks and streams"): what a receiver's answer
// means, how long to wait before the next attempt, and the dead letter of a callback
// that failed for good. Pure, so it is unit-tested directly.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "bridge/message_producer.h"
#include "bridge/webhook_caller.h"
#include "config/config.h"

namespace causeway::bridge {

struct CallbackDecision {
  enum class Kind {
    delivered,    // 2xx
    gone,         // 410: the receiver does not want it any more; done, and counted
    dead_letter,  // 3xx (redirects are not followed) and 4xx but 408, 410 and 429: sending again would not help
    retry,        // 5xx, 408, 429, timeouts, connect and other transport errors
  };
  Kind kind = Kind::retry;
  std::chrono::milliseconds delay{0};  // before the next attempt (retry only)
  std::string error;                   // what went wrong, for logs and the dead letter
};

// After attempt number `attempts` (from 1) came back with `result`. A retry past the
// policy's attempts becomes a dead letter. 429's Retry-After (seconds) is waited when
// longer than the backoff, up to max_backoff. `random` in [0, 1).
CallbackDecision decide_callback(const WebhookResult& result, int attempts, const config::RetryPolicy& retry,
                                 double random);

// The `code` label of causeway_callback_attempts_total: the status, or timeout,
// connect_error, error.
std::string attempt_code(const WebhookResult& result);

// Retry-After in seconds (the HTTP-date form is not read: nullopt).
std::optional<std::chrono::seconds> retry_after(const Response& response);

// What a callback that could not be delivered leaves on the route's dead letter topic:
// the reply's body as the value and its content type, key the correlation id, and
// headers callback-url, callback-route, reply-status, dlt-attempts and dlt-error.
struct CallbackFailure {
  std::string topic;
  std::string id;
  std::string route;
  std::string url;
  const Response* reply = nullptr;
  int attempts = 0;
  std::string error;
};
OutboundMessage callback_dead_letter(const CallbackFailure& failure);

}  // namespace causeway::bridge
