// What a receiver's answer means for a callback (DESIGN.md "Callbacks and streams").
#include <gtest/gtest.h>

#include "bridge/callback_delivery.h"

namespace causeway::bridge {
namespace {

using Kind = CallbackDecision::Kind;
using namespace std::chrono_literals;

const config::RetryPolicy kRetry{4, 1000ms, 60000ms, {}};

WebhookResult answered(int status, Headers headers = {}) { return WebhookResult{Response{status, std::move(headers), ""}, {}, {}}; }
WebhookResult failed(WebhookResult::Failure failure, std::string error) { return WebhookResult{std::nullopt, failure, std::move(error)}; }

Kind kind_of(const WebhookResult& result, int attempts = 1) { return decide_callback(result, attempts, kRetry, 0.5).kind; }

TEST(CallbackDecision, TwoHundredsAreDelivered) {
  for (int status : {200, 201, 202, 204, 299}) EXPECT_EQ(kind_of(answered(status)), Kind::delivered) << status;
}

TEST(CallbackDecision, GoneEndsItWithoutADeadLetter) {
  auto decision = decide_callback(answered(410), 1, kRetry, 0.5);
  EXPECT_EQ(decision.kind, Kind::gone);
  EXPECT_EQ(decision.error, "410 from the receiver");
}

TEST(CallbackDecision, OtherClientErrorsAreDeadLetteredAtOnce) {
  for (int status : {400, 401, 403, 404, 405, 409, 413, 422}) {
    EXPECT_EQ(kind_of(answered(status)), Kind::dead_letter) << status;
  }
}

TEST(CallbackDecision, RedirectsAreNotFollowedButDeadLettered) {
  for (int status : {301, 302, 303, 307, 308}) EXPECT_EQ(kind_of(answered(status)), Kind::dead_letter) << status;
  auto decision = decide_callback(answered(302, {{"location", "http://169.254.169.254/"}}), 1, kRetry, 0.5);
  EXPECT_NE(decision.error.find("http://169.254.169.254/"), std::string::npos) << decision.error;
  EXPECT_NE(decision.error.find("not followed"), std::string::npos) << decision.error;
}

TEST(CallbackDecision, ServerErrorsTimeoutsAndConnectErrorsAreRetriedWithTheBackoff) {
  for (auto result : {answered(500), answered(502), answered(503), answered(408),
                      failed(WebhookResult::Failure::timeout, "timed out"),
                      failed(WebhookResult::Failure::connect, "connection refused"),
                      failed(WebhookResult::Failure::other, "reset")}) {
    auto decision = decide_callback(result, 2, kRetry, 0.5);
    EXPECT_EQ(decision.kind, Kind::retry) << attempt_code(result);
    // jittered_backoff(1s, 60s, 2, 0.5): between 1 s and 2 s, 1.5 s at 0.5.
    EXPECT_EQ(decision.delay, 1500ms) << attempt_code(result);
  }
}

TEST(CallbackDecision, TheLastAttemptIsDeadLettered) {
  auto decision = decide_callback(answered(503), kRetry.attempts, kRetry, 0.5);
  EXPECT_EQ(decision.kind, Kind::dead_letter);
  EXPECT_EQ(decision.error, "503 from the receiver (after 4 attempt(s))");
  EXPECT_EQ(kind_of(failed(WebhookResult::Failure::timeout, "timed out"), kRetry.attempts), Kind::dead_letter);
}

TEST(CallbackDecision, TooManyRequestsWaitsForRetryAfter) {
  EXPECT_EQ(decide_callback(answered(429, {{"retry-after", "7"}}), 1, kRetry, 0.5).delay, 7000ms);
  EXPECT_EQ(decide_callback(answered(429, {{"retry-after", "0"}}), 1, kRetry, 0.5).delay, 750ms)
      << "never sooner than the backoff";
  EXPECT_EQ(decide_callback(answered(429, {{"retry-after", "3600"}}), 1, kRetry, 0.5).delay, 60000ms)
      << "at most max_backoff";
  EXPECT_EQ(decide_callback(answered(429, {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}), 1, kRetry, 0.5).delay,
            750ms)
      << "an HTTP-date is not read";
  EXPECT_EQ(decide_callback(answered(429), 1, kRetry, 0.5).kind, Kind::retry);
}

TEST(CallbackDecision, AttemptCodesNameTheStatusOrTheFailure) {
  EXPECT_EQ(attempt_code(answered(503)), "503");
  EXPECT_EQ(attempt_code(failed(WebhookResult::Failure::timeout, "")), "timeout");
  EXPECT_EQ(attempt_code(failed(WebhookResult::Failure::connect, "")), "connect_error");
  EXPECT_EQ(attempt_code(failed(WebhookResult::Failure::other, "")), "error");
}

TEST(CallbackDeadLetter, HoldsTheReplyAndWhatHappened) {
  Response reply{504, {{"content-type", "application/json"}}, R"({"error":"timeout"})"};
  auto message = callback_dead_letter(
      CallbackFailure{"quotes.callbacks.dlq", "id-1", "quote", "http://127.0.0.1:9/hooks", &reply, 3, "503 from the receiver"});
  EXPECT_EQ(message.topic, "quotes.callbacks.dlq");
  EXPECT_EQ(message.key, "id-1");
  EXPECT_EQ(message.value, reply.body);
  auto header = [&](std::string_view name) {
    const std::string* value = find_header(message.headers, name);
    return value ? *value : std::string("(none)");
  };
  EXPECT_EQ(header("callback-url"), "http://127.0.0.1:9/hooks");
  EXPECT_EQ(header("callback-route"), "quote");
  EXPECT_EQ(header("callback-id"), "id-1");
  EXPECT_EQ(header("reply-status"), "504");
  EXPECT_EQ(header("content-type"), "application/json");
  EXPECT_EQ(header("dlt-attempts"), "3");
  EXPECT_EQ(header("dlt-error"), "503 from the receiver");
}

}  // namespace
}  // namespace causeway::bridge
