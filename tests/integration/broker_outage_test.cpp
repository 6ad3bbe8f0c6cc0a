// The broker goes away and comes back: clients get a precise, prompt error while it
// is gone, readiness says so, and nothing that was acknowledged is lost.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_replies.h"

namespace causeway::testing {
namespace {

// Causeway on a broker it does not own; deliveries give up after 2 s.
TestConfig on(const MockBroker& broker) {
  TestConfig config;
  config.bootstrap = broker.bootstrap();
  config.broker_options = "{ linger.ms: 1, message.timeout.ms: 2000 }";
  return config;
}

int readyz(const CausewayProcess& causeway) { return http(causeway.admin(), "GET", "/readyz").status; }

HttpResponse post(const CausewayProcess& causeway, const std::string& customer) {
  return http(causeway.listener(), "POST", "/orders/" + customer + "/events", {}, "{}", 20s);
}

TEST(BrokerOutage, RequestsFailPromptlyWith503WhileDownAndSucceedOnceUp) {
  MockBroker broker;
  broker.create_topic("orders.created", 2);
  CausewayProcess causeway(on(broker));
  ASSERT_EQ(post(causeway, "before").status, 202);

  broker.down();
  auto sent = Clock::now();
  auto failed = post(causeway, "during");
  EXPECT_LT(Clock::now() - sent, 10s) << "message.timeout.ms is 2 s";
  // 504 only when the broker may have stored it; a broker that is down did not.
  EXPECT_TRUE(failed.status == 503 || failed.status == 504) << failed.status << " " << failed.body;
  EXPECT_TRUE(failed.error() == "broker_unavailable" || failed.error() == "broker_timeout") << failed.body;
  EXPECT_EQ(failed.json().at("route"), boost::json::value("order-created")) << failed.body;
  if (failed.status == 503) {
    EXPECT_TRUE(failed.header("retry-after")) << "503 without Retry-After";
  }
  EXPECT_TRUE(eventually([&] { return readyz(causeway) == 503; }, 5s)) << "/readyz stayed ready with the broker down";

  broker.up();
  EXPECT_TRUE(eventually([&] { return post(causeway, "after").status == 202; }, 15s, 100ms))
      << "no 202 after the broker came back; log:\n"
      << causeway.log();
  EXPECT_TRUE(eventually([&] { return readyz(causeway) == 200; }, 5s));

  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_GE(metrics.value("causeway_produced_total", {{"result", "ok"}}).value_or(0), 2);
  EXPECT_EQ(
      metrics.value("causeway_requests_total", {{"route", "order-created"}, {"code", std::to_string(failed.status)}}),
      1);
}

TEST(BrokerOutage, ReadyzWaitsForABrokerThatIsDownAtStartup) {
  MockBroker broker;
  broker.down();
  CausewayProcess causeway(on(broker));
  EXPECT_EQ(readyz(causeway), 503);
  broker.up();
  EXPECT_TRUE(eventually([&] { return readyz(causeway) == 200; }, 10s));
}

TEST(BrokerOutage, NothingAcknowledgedIsLostAcrossDownAndUp) {
  MockBroker broker;
  broker.create_topic("orders.created", 2);
  CausewayProcess causeway(on(broker));
  EventLoad load(causeway.listener(), 6);

  ASSERT_TRUE(eventually([&] { return load.count(202) >= 20; }, 10s)) << causeway.log();
  broker.down();
  bool failed_while_down = eventually([&] { return load.count(503) + load.count(504) >= 4; }, 15s);
  broker.up();
  auto recovered_from = load.count(202);
  bool recovered = eventually([&] { return load.count(202) >= recovered_from + 20; }, 15s);
  auto outcomes = load.stop();
  ASSERT_TRUE(failed_while_down) << "no request failed while the broker was down";
  ASSERT_TRUE(recovered) << "no 202s after the broker came back; log:\n" << causeway.log();

  std::map<int, int> statuses;
  std::set<std::string> acknowledged, refused_keys;
  for (const auto& outcome : outcomes) {
    ++statuses[outcome.status];
    EXPECT_LT(outcome.answered - outcome.sent, 10s) << outcome.key << " waited too long for its " << outcome.status;
    if (outcome.status == 202) acknowledged.insert(outcome.id);
    if (outcome.status == 503) refused_keys.insert(outcome.key);
  }
  for (const auto& [status, count] : statuses) {
    EXPECT_TRUE(status == 202 || status == 503 || status == 504) << count << " answers were " << status;
  }

  auto messages = TopicReader(broker.bootstrap(), "orders.created").read(acknowledged.size(), 30s);
  std::set<std::string> on_topic;
  for (const auto& message : messages) {
    on_topic.insert(message.header("correlation-id").value_or(""));
    // 503 says the broker did not store it: a client retrying it must not make a duplicate.
    EXPECT_FALSE(refused_keys.contains(message.key.value_or("")))
        << message.key.value_or("") << " got 503 but is stored";
  }
  for (const auto& id : acknowledged) EXPECT_TRUE(on_topic.contains(id)) << "acknowledged but lost: " << id;

  auto metrics = scrape_metrics(causeway.admin());
  auto failures = statuses[503] + statuses[504];
  EXPECT_EQ(metrics.value("causeway_produced_total", {{"topic", "orders.created"}, {"result", "ok"}}), statuses[202]);
  auto failed_produces = metrics.value("causeway_produced_total", {{"topic", "orders.created"}}).value_or(0) -
                         metrics.value("causeway_produced_total", {{"result", "ok"}}).value_or(0);
  EXPECT_EQ(failed_produces, failures) << metrics.text();
}

}  // namespace
}  // namespace causeway::testing

namespace causeway::testing {
namespace {

// Defect: a broker known to be down made every request wait out message.timeout.ms.
TEST(BrokerOutageBreaker, OnceTheBrokerIsKnownDownRequestsAre503AtOnceWithRetryAfterAndRecover) {
  MockBroker broker;
  broker.create_topic("orders.created", 2);
  CausewayProcess causeway(on(broker));
  ASSERT_EQ(post(causeway, "before").status, 202);
  broker.down();
  // The first failures wait for the client's message timeout; then the breaker answers.
  HttpResponse refused;
  ASSERT_TRUE(eventually(
      [&] {
        refused = post(causeway, "during");
        return refused.status == 503 && refused.body.find("known to be down") != std::string::npos;
      },
      30s, 10ms))
      << refused.status << " " << refused.body;
  EXPECT_GT(metric_now(causeway.admin(), "causeway_broker_refused_total", {{"broker", "events"}}), 0);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.error(), "broker_unavailable");
  EXPECT_NE(refused.json().at("message").as_string().find("known to be down"), std::string::npos) << refused.body;
  EXPECT_TRUE(refused.header("retry-after"));
  broker.up();
  EXPECT_TRUE(eventually([&] { return post(causeway, "after").status == 202; }, 20s, 100ms)) << causeway.log();
}

// Defect: with a request-reply route and no broker, the process never opened its admin port.
TEST(BrokerOutageBreaker, ARequestReplyRouteStartsWithoutTheBrokerAndItsRepliesFlowOnceItComes) {
  MockBroker broker;
  broker.create_topic("quotes.requests", 1);
  broker.create_topic("quotes.replies", 1);
  broker.down();
  TestConfig config = on(broker);
  config.extra_routes =
      "  - name: quote\n"
      "    from: { listener: public, method: POST, path: /quotes }\n"
      "    to: { broker: events, topic: quotes.requests, reply: quotes.replies, timeout: 10s }\n";
  CausewayProcess causeway(config);
  auto readiness = http(causeway.admin(), "GET", "/readyz");
  EXPECT_EQ(readiness.status, 503);
  EXPECT_NE(readiness.body.find("events"), std::string::npos) << readiness.body;
  broker.up();
  EXPECT_TRUE(eventually([&] { return readyz(causeway) == 200; }, 20s)) << causeway.log();
  EchoResponder responder(broker.bootstrap(), "quotes.requests");
  auto response = http(causeway.listener(), "POST", "/quotes", {}, "hello", 20s);
  EXPECT_EQ(response.status, 200) << response.body << "\n" << causeway.log();
  EXPECT_EQ(response.body, "hello");
}

}  // namespace
}  // namespace causeway::testing
