#include "bridge/failure.h"

#include <boost/json/serialize.hpp>
#include <boost/json/object.hpp>

namespace causeway::bridge {

int status_of(Failure failure) {
  switch (failure) {
    case Failure::bad_request:
    case Failure::callback_refused: return 400;
    case Failure::not_found: return 404;
    case Failure::method_not_allowed: return 405;
    case Failure::request_timeout: return 408;
    case Failure::body_too_large: return 413;
    case Failure::uri_too_long: return 414;
    case Failure::idempotency_key_reused: return 422;
    case Failure::rate_limited: return 429;
    case Failure::headers_too_large: return 431;
    case Failure::internal: return 500;
    case Failure::bad_gateway:
    case Failure::unroutable: return 502;
    case Failure::broker_unavailable:
    case Failure::queue_full:
    case Failure::overloaded:
    case Failure::upstream_unavailable:
    case Failure::draining: return 503;
    case Failure::timeout:
    case Failure::broker_timeout: return 504;
  }
  return 500;
}

std::string_view code_of(Failure failure) {
  switch (failure) {
    case Failure::bad_request: return "bad_request";
    case Failure::callback_refused: return "callback_refused";
    case Failure::not_found: return "not_found";
    case Failure::method_not_allowed: return "method_not_allowed";
    case Failure::request_timeout: return "request_timeout";
    case Failure::body_too_large: return "body_too_large";
    case Failure::uri_too_long: return "uri_too_long";
    case Failure::idempotency_key_reused: return "idempotency_key_reused";
    case Failure::headers_too_large: return "headers_too_large";
    case Failure::rate_limited: return "rate_limited";
    case Failure::internal: return "internal";
    case Failure::bad_gateway: return "bad_gateway";
    case Failure::unroutable: return "unroutable";
    case Failure::broker_unavailable: return "broker_unavailable";
    case Failure::queue_full: return "queue_full";
    case Failure::overloaded: return "overloaded";
    case Failure::upstream_unavailable: return "upstream_unavailable";
    case Failure::draining: return "draining";
    case Failure::timeout: return "timeout";
    case Failure::broker_timeout: return "broker_timeout";
  }
  return "internal";
}

Response failure_response(Failure failure, std::string_view message, std::string_view route) {
  boost::json::object body;
  body["error"] = code_of(failure);
  body["message"] = message;
  if (!route.empty()) body["route"] = route;

  Response response;
  response.status = status_of(failure);
  response.headers.push_back({"content-type", "application/json"});
  // Clients back off on these instead of retrying at once.
  if (response.status == 429 || response.status == 503) response.headers.push_back({"retry-after", "1"});
  response.body = boost::json::serialize(body);
  return response;
}

}  // namespace causeway::bridge
