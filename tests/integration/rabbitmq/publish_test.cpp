// Publishing through the adapter against a real broker: what pika finds on the queue,
// and each outcome the confirms, returns and channel errors give.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "rabbit_fixture.h"

namespace causeway::testing::rabbit {
namespace {

std::uint64_t now_seconds() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// A topic exchange and a queue bound to it with `key`, declared by pika.
void declare_bound_queue(const std::string& exchange, const std::string& queue, const std::string& key) {
  const CommandResult result = rabbit_server().pika("ch.exchange_declare('" + exchange +
                                                    "', 'topic', durable=True)\n"
                                                    "ch.queue_declare('" +
                                                    queue +
                                                    "', durable=True)\n"
                                                    "ch.queue_bind('" +
                                                    queue + "', '" + exchange + "', '" + key + "')\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

TEST(RabbitPublish, StoredAndOnTheQueueWithBodyAndProperties) {
  metrics::Registry registry;
  const std::string exchange = unique_name("x");
  const std::string queue = unique_name("q");
  declare_bound_queue(exchange, queue, "created.*");
  auto client = make_client(registry);
  ASSERT_EQ(client->problem(), std::nullopt);

  bridge::OutboundMessage message;
  message.topic = exchange;
  message.key = "created.42";
  message.value = R"({"order":42})";
  message.headers = {{"correlation-id", "c-42"},
                     {"reply-to", "quotes.replies"},
                     {"content-type", "application/json"},
                     {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                     {"x-tenant", "acme"}};
  const std::uint64_t before = now_seconds();
  const bridge::DeliveryReport report = publish(*client->publisher(), message);
  const std::uint64_t after = now_seconds();
  EXPECT_EQ(report.outcome, Outcome::stored) << report.error;
  EXPECT_TRUE(report.error.empty());

  const boost::json::value got = pika_json(
      "method, props, body = ch.basic_get('" + queue +
      "', auto_ack=True)\n"
      "print(json.dumps({'body': body.decode(), 'routing_key': method.routing_key, 'exchange': method.exchange,\n"
      "  'correlation_id': props.correlation_id, 'reply_to': props.reply_to, 'content_type': props.content_type,\n"
      "  'message_id': props.message_id, 'timestamp': props.timestamp, 'delivery_mode': props.delivery_mode,\n"
      "  'headers': {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (props.headers or {}).items()}}))\n");
  EXPECT_EQ(got.at("body").as_string(), R"({"order":42})");
  EXPECT_EQ(got.at("exchange").as_string(), exchange);
  EXPECT_EQ(got.at("routing_key").as_string(), "created.42");
  EXPECT_EQ(got.at("correlation_id").as_string(), "c-42");
  EXPECT_EQ(got.at("reply_to").as_string(), "quotes.replies");
  EXPECT_EQ(got.at("content_type").as_string(), "application/json");
  EXPECT_EQ(got.at("message_id").as_string(), "c-42");
  EXPECT_EQ(got.at("delivery_mode").as_int64(), 2);
  const auto timestamp = static_cast<std::uint64_t>(got.at("timestamp").as_int64());
  EXPECT_GE(timestamp, before);
  EXPECT_LE(timestamp, after);
  const boost::json::object& headers = got.at("headers").as_object();
  EXPECT_EQ(headers.at("traceparent").as_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(headers.at("x-tenant").as_string(), "acme");
  EXPECT_FALSE(headers.contains("correlation-id"));
  EXPECT_FALSE(headers.contains("content-type"));
  EXPECT_GE(metric(registry, "causeway_amqp_confirm_seconds_count{broker=\"rabbit\"}"), 1);
  EXPECT_EQ(metric(registry, "causeway_broker_connected{broker=\"rabbit\"}"), 1);
}

TEST(RabbitPublish, NoQueueBoundIsUnroutable) {
  metrics::Registry registry;
  auto client = make_client(registry);
  bridge::OutboundMessage message;
  message.topic = unique_name("lonely");  // declared by the adapter, bound to nothing
  message.key = "nobody.listens";
  message.headers = {{"correlation-id", "c-1"}};
  const bridge::DeliveryReport report = publish(*client->publisher(), message);
  EXPECT_EQ(report.outcome, Outcome::unroutable) << report.error;
  EXPECT_NE(report.error.find("NO_ROUTE"), std::string::npos) << report.error;
  EXPECT_EQ(metric(registry, "causeway_amqp_returns_total{broker=\"rabbit\"}"), 1);
  EXPECT_EQ(metric(registry, "causeway_amqp_unmatched_returns_total{broker=\"rabbit\"}"), 0);

  // A routable message on the same channel right after is stored.
  const std::string queue = unique_name("q");
  declare_bound_queue(message.topic, queue, "#");
  EXPECT_EQ(publish(*client->publisher(), message).outcome, Outcome::stored);
}

TEST(RabbitPublish, AMissingExchangeWithDeclareOffIsRejectedAndLaterPublishesWork) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ declare: false }");
  bridge::OutboundMessage missing;
  missing.topic = unique_name("missing");
  const bridge::DeliveryReport report = publish(*client->publisher(), missing);
  EXPECT_EQ(report.outcome, Outcome::rejected);
  EXPECT_NE(report.error.find("no exchange"), std::string::npos) << report.error;
  EXPECT_NE(report.error.find("declare is off"), std::string::npos) << report.error;

  const std::string exchange = unique_name("x");
  const std::string queue = unique_name("q");
  declare_bound_queue(exchange, queue, "#");
  bridge::OutboundMessage fine;
  fine.topic = exchange;
  fine.key = "k";
  EXPECT_EQ(publish(*client->publisher(), fine).outcome, Outcome::stored);
  EXPECT_EQ(queue_state(queue).messages, 1);
}

TEST(RabbitPublish, AnExchangeDeletedUnderThePublisherCostsOneMessageAndTheChannelComesBack) {
  metrics::Registry registry;
  auto client = make_client(registry);
  const std::string exchange = unique_name("x");
  const std::string queue = unique_name("q");
  declare_bound_queue(exchange, queue, "#");
  bridge::OutboundMessage message;
  message.topic = exchange;
  message.key = "k";
  ASSERT_EQ(publish(*client->publisher(), message).outcome, Outcome::stored);

  ASSERT_EQ(rabbit_server().pika("ch.exchange_delete('" + exchange + "')\n").exit_code, 0);
  const bridge::DeliveryReport lost = publish(*client->publisher(), message);
  EXPECT_EQ(lost.outcome, Outcome::rejected) << lost.error;
  EXPECT_NE(lost.error.find("NOT_FOUND"), std::string::npos) << lost.error;
  EXPECT_EQ(metric(registry, "causeway_amqp_channel_errors_total{broker=\"rabbit\"}"), 1);

  // The channel is open again, and the exchange is checked (and declared) anew.
  const bridge::DeliveryReport again = publish(*client->publisher(), message);
  EXPECT_EQ(again.outcome, Outcome::unroutable) << again.error;  // a new exchange: the old binding went with it
  ASSERT_EQ(rabbit_server().pika("ch.queue_bind('" + queue + "', '" + exchange + "', '#')\n").exit_code, 0);
  EXPECT_EQ(publish(*client->publisher(), message).outcome, Outcome::stored);
  EXPECT_EQ(queue_state(queue).messages, 2);
  EXPECT_EQ(client->problem(), std::nullopt);
}

TEST(RabbitPublish, AThousandConcurrentPublishesAreEachConfirmedOnceAndStoredOnce) {
  metrics::Registry registry;
  auto client = make_client(registry);
  const std::string exchange = unique_name("x");
  const std::string queue = unique_name("q");
  declare_bound_queue(exchange, queue, "#");
  Reports reports;
  constexpr int kThreads = 4;
  constexpr int kEach = 250;
  std::vector<bridge::MessageProducer::OnDelivery> callbacks;
  for (int i = 0; i < kThreads * kEach; ++i) callbacks.push_back(reports.expect("m" + std::to_string(i)));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t * kEach; i < (t + 1) * kEach; ++i) {
        bridge::OutboundMessage message;
        message.topic = exchange;
        message.key = "k." + std::to_string(i);
        message.value = "m" + std::to_string(i);
        message.headers = {{"correlation-id", "m" + std::to_string(i)}};
        client->publisher()->produce(std::move(message), callbacks[static_cast<std::size_t>(i)]);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(eventually(
      [&] {
        const auto outcomes = reports.outcomes();
        return outcomes.size() == kThreads * kEach;
      },
      60s));
  for (int i = 0; i < kThreads * kEach; ++i) {
    const std::string id = "m" + std::to_string(i);
    EXPECT_EQ(reports.answers(id), 1) << id;
    EXPECT_EQ(reports.outcome(id), Outcome::stored) << id << ": " << reports.error(id);
  }
  EXPECT_EQ(client->flush(std::chrono::steady_clock::now() + 5s), 0u);

  const std::vector<std::string> bodies = drain(queue);
  const std::set<std::string> seen(bodies.begin(), bodies.end());
  EXPECT_EQ(bodies.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(RabbitPublish, WhatAmqpCannotCarryIsTooLargeAndCostsNothing) {
  metrics::Registry registry;
  auto client = make_client(registry);
  bridge::OutboundMessage message;
  message.topic = "";
  message.key = std::string(300, 'k');
  const bridge::DeliveryReport report = publish(*client->publisher(), message);
  EXPECT_EQ(report.outcome, Outcome::too_large);
  EXPECT_EQ(report.error, "the routing key is over 255 bytes");
  EXPECT_EQ(client->problem(), std::nullopt);
}

TEST(RabbitPublish, ABrokerThatIsNotThereIsAProblemAndNothingIsStored) {
  metrics::Registry registry;
  // Port 9 (discard): nothing listens there on loopback.
  auto client = make_client(registry, "{ connect_timeout: 500ms }", "amqp://guest:guest@127.0.0.1:9/%2f");
  ASSERT_TRUE(client->problem().has_value());
  EXPECT_NE(client->problem()->find("cannot connect"), std::string::npos) << *client->problem();
  bridge::OutboundMessage message;
  message.topic = "x";
  const bridge::DeliveryReport report = publish(*client->publisher(), message);
  EXPECT_EQ(report.outcome, Outcome::not_stored);
  EXPECT_NE(report.error.find("broker unavailable"), std::string::npos) << report.error;
  EXPECT_EQ(client->address(), "amqp://127.0.0.1:9/%2f");
  EXPECT_EQ(metric(registry, "causeway_broker_connected{broker=\"rabbit\"}"), 0);
  EXPECT_GE(metric(registry, "causeway_broker_connect_failures_total{broker=\"rabbit\"}"), 1);
}

}  // namespace
}  // namespace causeway::testing::rabbit
