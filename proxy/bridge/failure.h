#pragma once
// Every way a request can fail, mapped to a status and an error code in one place.

#include <string_view>

#include "bridge/exchange.h"

namespace causeway::bridge {

enum class Failure {
  bad_request,         // 400
  callback_refused,    // 400: a callback URL that is malformed or not in the route's allow list
  not_found,           // 404
  method_not_allowed,  // 405
  request_timeout,     // 408
  body_too_large,      // 413
  uri_too_long,        // 414
  idempotency_key_reused,  // 422: the key names another request (IETF Idempotency-Key draft)
  headers_too_large,   // 431
  rate_limited,        // 429
  internal,            // 500
  bad_gateway,         // 502
  unroutable,          // 502: the broker had no queue for the message
  broker_unavailable,  // 503
  queue_full,          // 503
  overloaded,          // 503: too many requests wait for replies
  upstream_unavailable,  // 503: the upstream's circuit breaker is open
  draining,            // 503
  timeout,             // 504
  broker_timeout,      // 504
};

int status_of(Failure failure);
std::string_view code_of(Failure failure);

// {"error","message","route"} with the status of the failure; 429 and 503 carry Retry-After.
Response failure_response(Failure failure, std::string_view message, std::string_view route = {});

}  // namespace causeway::bridge
