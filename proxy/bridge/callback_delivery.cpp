#include "bridge/callback_delivery.h"

#include <algorithm>
#include <charconv>

#include "policy/backoff.h"

namespace causeway::bridge {

using Kind = CallbackDecision::Kind;

std::optional<std::chrono::seconds> retry_after(const Response& response) {
  const std::string* value = find_header(response.headers, "retry-after");
  if (!value || value->empty()) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (error != std::errc{} || end != value->data() + value->size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

std::string attempt_code(const WebhookResult& result) {
  if (result.response) return std::to_string(result.response->status);
  switch (result.failure) {
    case WebhookResult::Failure::timeout: return "timeout";
    case WebhookResult::Failure::connect: return "connect_error";
    default: return "error";
  }
}

CallbackDecision decide_callback(const WebhookResult& result, int attempts, const config::RetryPolicy& retry,
                                 double random) {
  CallbackDecision decision;
  if (!result.response) {
    decision.error = result.error.empty() ? "no answer" : result.error;
  } else {
    const Response& answer = *result.response;
    const int status = answer.status;
    if (status >= 200 && status < 300) return CallbackDecision{Kind::delivered, {}, {}};
    decision.error = std::to_string(status) + " from the receiver";
    if (status == 410) return CallbackDecision{Kind::gone, {}, decision.error};
    if (status >= 300 && status < 400) {
      const std::string* location = find_header(answer.headers, "location");
      decision.error += location ? " (a redirect to " + *location + "; redirects are not followed)"
                                 : " (redirects are not followed)";
      decision.kind = Kind::dead_letter;
      return decision;
    }
    const bool transient = status >= 500 || status == 429 || status == 408;
    if (!transient) {
      decision.kind = Kind::dead_letter;
      return decision;
    }
  }
  if (attempts >= retry.attempts) {
    decision.kind = Kind::dead_letter;
    decision.error += " (after " + std::to_string(attempts) + " attempt(s))";
    return decision;
  }
  decision.kind = Kind::retry;
  decision.delay = policy::jittered_backoff(retry.backoff, retry.max_backoff, attempts, random);
  if (result.response && result.response->status == 429) {
    if (auto wait = retry_after(*result.response)) {
      const auto asked = std::chrono::duration_cast<std::chrono::milliseconds>(*wait);
      decision.delay = std::max(decision.delay, std::min(asked, retry.max_backoff));
    }
  }
  return decision;
}

OutboundMessage callback_dead_letter(const CallbackFailure& failure) {
  OutboundMessage message;
  message.topic = failure.topic;
  message.key = failure.id;
  if (failure.reply) message.value = failure.reply->body;
  const std::string status = failure.reply ? std::to_string(failure.reply->status) : "";
  message.headers = {{"callback-url", failure.url},
                     {"callback-route", failure.route},
                     {"callback-id", failure.id},
                     {"reply-status", status},
                     {"dlt-attempts", std::to_string(failure.attempts)},
                     {"dlt-error", failure.error}};
  if (failure.reply) {
    if (const std::string* type = find_header(failure.reply->headers, "content-type")) {
      message.headers.push_back({"content-type", *type});
    }
  }
  return message;
}

}  // namespace causeway::bridge
