// The broker stopped under the adapter and started again: nothing confirmed is lost,
// nothing said not_stored is there, the connection, topology and consumers come back,
// and no delivery is acked on a channel it did not come on.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <thread>

#include "rabbit_fixture.h"

namespace causeway::testing::rabbit {
namespace {

bridge::OutboundMessage event(const std::string& exchange, const std::string& id) {
  bridge::OutboundMessage message;
  message.topic = exchange;
  message.key = "created";
  message.value = id;
  message.headers = {{"correlation-id", id}};
  return message;
}

// A request-reply round trip over direct reply-to, with a pika service.
void round_trip(bridge::BrokerClient& client, ReplyLog& replies, const std::string& body) {
  const std::string queue = unique_name("requests");
  ASSERT_EQ(rabbit_server().pika("ch.queue_declare('" + queue + "')\n").exit_code, 0);
  CommandResult answered;
  std::thread service = responder(queue, answered);
  bridge::OutboundMessage request;
  request.key = queue;
  request.value = body;
  request.headers = {{"correlation-id", body}, {"reply-to", "amq.rabbitmq.reply-to"}};
  const Outcome outcome = publish(*client.publisher(), request).outcome;
  const bool replied = replies.wait(1, 20s);
  service.join();
  EXPECT_EQ(outcome, Outcome::stored);
  EXPECT_EQ(answered.exit_code, 0) << answered.output;
  ASSERT_TRUE(replied);
  EXPECT_EQ(replies.at(0).value, "pong:" + body);
}

TEST(RabbitOutage, ABrokerRestartLosesNothingConfirmedAndEverythingComesBack) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ heartbeat: 2s, confirm_timeout: 3s }");
  const std::string queue = unique_name("orders");
  const std::string exchange = unique_name("events");
  ReplyLog replies;
  client->open_replies("direct", replies.callback());
  auto source = client->source(delivery_route(queue, {{exchange, "#"}}));
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));

  // A delivery in hand and not acked when the broker goes (and some of the burst below).
  ASSERT_EQ(publish(*client->publisher(), event(exchange, "before")).outcome, Outcome::stored);
  ASSERT_TRUE(sink.wait_deliveries(1, 20s));

  // A burst in flight when the broker stops.
  Reports reports;
  constexpr int kBurst = 300;
  for (int i = 0; i < kBurst; ++i) {
    const std::string id = "o" + std::to_string(i);
    client->publisher()->produce(event(exchange, id), reports.expect(id));
  }
  rabbit_server().stop();
  ASSERT_TRUE(eventually([&] { return reports.outcomes().size() == kBurst; }, 30s));
  std::set<std::string> stored;
  std::set<std::string> not_stored;
  for (const auto& [id, outcome] : reports.outcomes()) {
    EXPECT_EQ(reports.answers(id), 1) << id;
    EXPECT_TRUE(outcome == Outcome::stored || outcome == Outcome::not_stored || outcome == Outcome::maybe_stored)
        << id << ": " << reports.error(id);
    if (outcome == Outcome::stored) stored.insert(id);
    if (outcome == Outcome::not_stored) not_stored.insert(id);
  }
  std::fprintf(stderr, "burst of %d at the stop: %zu stored, %zu not stored, %zu maybe stored\n", kBurst, stored.size(),
               not_stored.size(), kBurst - stored.size() - not_stored.size());

  // While it is down: a problem to report, publishes refused at once, the lane closed.
  ASSERT_TRUE(eventually([&] { return client->problem().has_value(); }, 10s));
  const bridge::DeliveryReport refused = publish(*client->publisher(), event(exchange, "while-down"));
  EXPECT_EQ(refused.outcome, Outcome::not_stored);
  EXPECT_NE(refused.error.find("broker unavailable"), std::string::npos) << refused.error;
  EXPECT_EQ(sink.closed(queue), 1);
  EXPECT_EQ(metric(registry, "causeway_broker_connected{broker=\"rabbit\"}"), 0);
  // Everything handed over so far came on the lost channel (the lane closed after it).
  const std::size_t old_deliveries = sink.deliveries();

  rabbit_server().start();
  ASSERT_TRUE(eventually([&] { return !client->problem().has_value(); }, 60s, 100ms)) << *client->problem();
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 2; }, 30s));
  EXPECT_GE(metric(registry, "causeway_broker_reconnects_total{broker=\"rabbit\"}"), 1);
  EXPECT_EQ(metric(registry, "causeway_broker_connected{broker=\"rabbit\"}"), 1);

  // Deliveries of the old channel are not acked on the new one: the broker gives them again.
  for (std::size_t i = 0; i < old_deliveries; ++i) sink.take(i).ack->handled();
  ASSERT_TRUE(eventually(
      [&] {
        return metric(registry, "causeway_amqp_stale_acks_total{broker=\"rabbit\"}") ==
               static_cast<double>(old_deliveries);
      },
      10s));

  ASSERT_EQ(publish(*client->publisher(), event(exchange, "after")).outcome, Outcome::stored);
  std::vector<std::string> bodies;
  bool redelivered_before = false;
  std::size_t next = old_deliveries;
  ASSERT_TRUE(eventually(
      [&] {
        for (; next < sink.deliveries(); ++next) {
          bridge::SourcedMessage delivered = sink.take(next);
          bodies.push_back(delivered.message.value);
          if (delivered.message.value == "before") redelivered_before = delivered.redelivered;
          delivered.ack->handled();
        }
        return std::find(bodies.begin(), bodies.end(), "after") != bodies.end();
      },
      30s));
  const std::set<std::string> received(bodies.begin(), bodies.end());
  EXPECT_EQ(received.size(), bodies.size()) << "a message came twice";
  EXPECT_TRUE(received.contains("before"));
  EXPECT_TRUE(redelivered_before);
  for (const std::string& id : stored) EXPECT_TRUE(received.contains(id)) << id << " was confirmed and is lost";
  for (const std::string& id : not_stored) EXPECT_FALSE(received.contains(id)) << id << " was said not stored";
  EXPECT_FALSE(received.contains("while-down"));

  // Every ack went to the channel its delivery came on: none was refused, the queue is empty.
  ASSERT_TRUE(eventually([&] { return queue_state(queue) == QueueState{0, 1}; }, 20s, 200ms));
  EXPECT_EQ(metric(registry, "causeway_amqp_channel_errors_total{broker=\"rabbit\"}"), 0);

  // Direct reply-to is consumed again on the new publishing channel.
  round_trip(*client, replies, "ping-after");
  source->stop(std::chrono::steady_clock::now() + 5s);
}

TEST(RabbitOutage, ABrokerThatComesBackEmptyGetsTheTopologyDeclaredAgain) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ heartbeat: 2s }");
  const std::string queue = unique_name("orders");
  const std::string exchange = unique_name("events");
  auto source = client->source(delivery_route(queue, {{exchange, "created"}}));
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));
  ASSERT_EQ(publish(*client->publisher(), event(exchange, "first")).outcome, Outcome::stored);
  ASSERT_TRUE(sink.wait_deliveries(1, 20s));
  sink.take(0).ack->handled();

  rabbit_server().start_empty();
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 2; }, 60s));
  ASSERT_TRUE(eventually([&] { return !client->problem().has_value(); }, 30s)) << *client->problem();

  // Queue, exchange and binding are there again: a publish is routed to the consumer.
  const bridge::DeliveryReport again = publish(*client->publisher(), event(exchange, "second"));
  EXPECT_EQ(again.outcome, Outcome::stored) << again.error;
  ASSERT_TRUE(sink.wait_deliveries(2, 20s));
  bridge::SourcedMessage second = sink.take(1);
  EXPECT_EQ(second.message.value, "second");
  second.ack->handled();
  ASSERT_TRUE(eventually([&] { return queue_state(queue) == QueueState{0, 1}; }, 20s, 200ms));
  source->stop(std::chrono::steady_clock::now() + 5s);
}

}  // namespace
}  // namespace causeway::testing::rabbit
