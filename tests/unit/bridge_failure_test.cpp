#include <gtest/gtest.h>

#include <atomic>

#include "bridge/event_flow.h"
#include "bridge/failure.h"

namespace causeway::bridge {
namespace {

TEST(Failure, JsonBodyStatusAndRetryAfter) {
  auto response = failure_response(Failure::queue_full, "the local produce queue is full", "order-created");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body,
            R"({"error":"queue_full","message":"the local produce queue is full","route":"order-created"})");
  EXPECT_EQ(*find_header(response.headers, "content-type"), "application/json");
  EXPECT_EQ(*find_header(response.headers, "retry-after"), "1");

  auto not_found = failure_response(Failure::not_found, "no route for /x");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body, R"({"error":"not_found","message":"no route for /x"})");
  EXPECT_EQ(find_header(not_found.headers, "retry-after"), nullptr);
}

TEST(Failure, EveryDeliveryOutcomeHasItsStatus) {
  using Outcome = DeliveryReport::Outcome;
  const config::RouteWords kafka;
  auto status_for = [&](Outcome outcome) {
    DeliveryReport report;
    report.outcome = outcome;
    report.partition = 2;
    report.offset = 41;
    return event_response(report, "id-1", EventPlace{kafka, "orders.created", "k1"}, "r").status;
  };
  EXPECT_EQ(status_for(Outcome::stored), 202);
  EXPECT_EQ(status_for(Outcome::not_stored), 503);
  EXPECT_EQ(status_for(Outcome::maybe_stored), 504);
  EXPECT_EQ(status_for(Outcome::queue_full), 503);
  EXPECT_EQ(status_for(Outcome::too_large), 413);
  EXPECT_EQ(status_for(Outcome::rejected), 502);

  DeliveryReport stored;
  stored.outcome = Outcome::stored;
  stored.partition = 2;
  stored.offset = 41;
  EXPECT_EQ(event_response(stored, "id-1", EventPlace{kafka, "orders.created", "k1"}, "r").body,
            R"({"id":"id-1","topic":"orders.created","partition":2,"offset":41})");
  // A broker without positions (RabbitMQ) names where it went in its own words.
  config::RouteWords rabbit;
  rabbit.destination = "exchange";
  rabbit.key = "routing_key";
  DeliveryReport confirmed;
  confirmed.outcome = Outcome::stored;
  EXPECT_EQ(event_response(confirmed, "id-1", EventPlace{rabbit, "orders", "created.c1"}, "r").body,
            R"({"id":"id-1","exchange":"orders","routing_key":"created.c1"})");
}

TEST(Responder, AnswersOnceAndAnswers500WhenDropped) {
  std::vector<int> statuses;
  {
    Responder respond([&](Response response) { statuses.push_back(response.status); });
    respond(Response{202, {}, ""});
    respond(Response{200, {}, ""});  // ignored
  }
  { Responder dropped([&](Response response) { statuses.push_back(response.status); }); }
  EXPECT_EQ(statuses, (std::vector<int>{202, 500}));
}

}  // namespace
}  // namespace causeway::bridge
