// Bridges: a route from one topic to another, with delivery's guarantees (a message
// is acknowledged once the next broker stored it) and dead letters for what it refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "harness_delivery.h"

namespace causeway::testing {
namespace {

std::string bridge_config(const std::string& to, const std::string& extra = "") {
  return R"(
admin: { listen: 127.0.0.1:0 }
brokers:
  events: { bootstrap: embedded, options: )" +
         std::string(kGroupBrokerOptions) + R"( }
routes:
  - name: handle-orders  # the route wait_assigned() looks for
    from: { broker: events, topic: orders.created, group: auditor }
    to: )" + to + "\n" +
         extra;
}

TEST(Bridge, TopicToTopicCarriesKeyValueAndHeadersOncePerMessage) {
  CausewayProcess causeway(bridge_config("{ broker: events, topic: \"audit.{partition}\" }"));
  ASSERT_TRUE(wait_assigned(causeway)) << causeway.log();
  TopicWriter writer(causeway.broker());
  for (int i = 0; i < 20; ++i) {
    writer.send("orders.created", "k" + std::to_string(i % 4), "v" + std::to_string(i),
                {{"x-tenant", "t" + std::to_string(i)}, {"correlation-id", "c" + std::to_string(i)}}, 0);
  }
  writer.flush();
  TopicReader reader(causeway.broker(), "audit.0");
  auto messages = reader.read(20, 20s);
  ASSERT_EQ(messages.size(), 20u) << causeway.log();
  // Keys go in parallel; each key's messages keep their order (the partitioner keeps a key on one partition).
  std::map<std::string, std::vector<int>> by_key;
  for (const auto& message : messages) {
    const int i = std::stoi(message.value.substr(1));
    EXPECT_EQ(message.key, "k" + std::to_string(i % 4));
    EXPECT_EQ(message.header("x-tenant"), "t" + std::to_string(i));
    EXPECT_EQ(message.header("correlation-id"), "c" + std::to_string(i));
    by_key[*message.key].push_back(i);
  }
  ASSERT_EQ(by_key.size(), 4u);
  for (const auto& [key, sequence] : by_key) {
    EXPECT_TRUE(std::is_sorted(sequence.begin(), sequence.end())) << key;
    EXPECT_EQ(sequence.size(), 5u) << key;
  }
  EXPECT_EQ(metric_until(causeway.admin(), "causeway_deliveries_total",
                         {{"route", kDeliveryRoute}, {"result", "success"}}, [](double v) { return v == 20; }, 10s),
            20);
  EXPECT_EQ(metric_until(causeway.admin(), "causeway_consumer_lag", {{"route", kDeliveryRoute}},
                         [](double v) { return v == 0; }, 10s),
            0);
}

TEST(Bridge, ANameTheTargetRefusesIsDeadLetteredWithItsOrigin) {
  CausewayProcess causeway(bridge_config("{ broker: events, topic: \"audit.{key}\" }",
                                         "    dead_letter: audit.dlq\n    retry: { attempts: 2, backoff: 10ms }\n"));
  ASSERT_TRUE(wait_assigned(causeway)) << causeway.log();
  TopicWriter writer(causeway.broker());
  writer.write("orders.created", "bad key", "v1", {}, 0);  // "audit.bad key" is no topic name
  writer.write("orders.created", "good", "v2", {}, 0);
  TopicReader dead(causeway.broker(), "audit.dlq");
  auto letters = dead.read(1, 20s);
  ASSERT_EQ(letters.size(), 1u) << causeway.log();
  EXPECT_EQ(letters[0].value, "v1");
  EXPECT_EQ(letters[0].header("dlt-original-topic"), "orders.created");
  EXPECT_EQ(letters[0].header("dlt-original-offset"), "0");
  TopicReader good(causeway.broker(), "audit.good");
  EXPECT_EQ(good.read(1, 20s).size(), 1u);
}

}  // namespace
}  // namespace causeway::testing
