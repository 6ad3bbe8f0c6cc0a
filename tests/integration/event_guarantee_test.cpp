// "A 202 means the message was stored", and an event that is not stored is answered
// with the status the README gives for why, checked against a broker outside Causeway.
#include <gtest/gtest.h>

#include "harness.h"

namespace causeway::testing {
namespace {

constexpr const char* kTopic = "orders.created";

TestConfig on(const MockBroker& broker, const std::string& options = "{ linger.ms: 1 }") {
  TestConfig config;
  config.bootstrap = broker.bootstrap();
  config.broker_options = options;
  return config;
}

// Defect: librdkafka's MSG_SIZE_TOO_LARGE was answered 502 "rejected", where the README
// promises 413 for a message larger than the broker accepts.
TEST(EventGuarantee, AnEventOverTheProducersMessageMaxBytesIs413AndNotStored) {
  MockBroker broker;
  broker.create_topic(kTopic, 1);
  CausewayProcess causeway(on(broker, "{ linger.ms: 1, message.max.bytes: 1000 }"));
  auto large = http(causeway.listener(), "POST", "/orders/large/events", {}, std::string(4000, 'x'));
  EXPECT_EQ(large.status, 413) << large.body;
  EXPECT_EQ(large.error(), "body_too_large");
  auto small = http(causeway.listener(), "POST", "/orders/small/events", {}, "{}");
  ASSERT_EQ(small.status, 202) << small.body;

  auto messages = TopicReader(broker.bootstrap(), kTopic).read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages.front().key, "small");
  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_EQ(metrics.value("causeway_produced_total", {{"result", "too_large"}}), 1) << metrics.text();
  EXPECT_EQ(metrics.value("causeway_requests_total", {{"route", "order-created"}, {"code", "413"}}), 1);
}

}  // namespace
}  // namespace causeway::testing
