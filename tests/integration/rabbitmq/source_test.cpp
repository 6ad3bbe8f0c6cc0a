// A delivery route's queue through the adapter: what the sink is handed, acks, what
// comes back after stop, prefetch as the back-pressure, lag, and the queue declared.
#include <gtest/gtest.h>

#include "rabbit_fixture.h"

namespace causeway::testing::rabbit {
namespace {

// pika publishes `count` messages to `exchange`: body "m<i>", routing key "created.<i>".
void publish_with_pika(const std::string& exchange, int count, int first = 0) {
  const CommandResult result = rabbit_server().pika(
      "for i in range(" + std::to_string(first) + ", " + std::to_string(first + count) +
      "):\n"
      "    ch.basic_publish('" +
      exchange +
      "', 'created.%d' % i, b'm%d' % i,\n"
      "        pika.BasicProperties(correlation_id='c%d' % i, reply_to='replies', content_type='text/plain',\n"
      "                             delivery_mode=2, headers={'traceparent': '00-t-%d-01' % i, 'tenant': 't%d' % (i % "
      "2)}))\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

TEST(RabbitSource, DeliveriesAreHandedOverAckedOnesGoAndTheRestComeBackAfterStop) {
  metrics::Registry registry;
  auto client = make_client(registry);
  const std::string queue = unique_name("orders");
  const std::string exchange = unique_name("events");
  std::unique_ptr<bridge::MessageSource> source = client->source(delivery_route(queue, {{exchange, "created.*"}}));
  EXPECT_EQ(source->control(), nullptr);
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));

  publish_with_pika(exchange, 3);
  ASSERT_TRUE(sink.wait_deliveries(3, 20s));
  for (std::size_t i = 0; i < 3; ++i) {
    bridge::SourcedMessage delivered = sink.take(i);
    const bridge::InboundMessage& message = delivered.message;
    const std::string n = std::to_string(i);
    EXPECT_EQ(delivered.lane, queue);
    EXPECT_FALSE(delivered.redelivered);
    EXPECT_EQ(message.topic, queue);
    EXPECT_EQ(message.key, "created." + n);
    EXPECT_EQ(message.value, "m" + n);
    EXPECT_EQ(*header(message.headers, "correlation-id"), "c" + n);
    EXPECT_EQ(*header(message.headers, "reply-to"), "replies");
    EXPECT_EQ(*header(message.headers, "content-type"), "text/plain");
    EXPECT_EQ(*header(message.headers, "traceparent"), "00-t-" + n + "-01");
    EXPECT_EQ(message.origin_prefix, "x-amqp-");
    EXPECT_EQ(*header(message.origin, "exchange"), exchange);
    EXPECT_EQ(*header(message.origin, "routing-key"), "created." + n);
    EXPECT_EQ(*header(message.origin, "queue"), queue);
    if (i < 2) {
      delivered.ack->handled();
      delivered.ack->handled();  // a second time is ignored, not a second basic.ack
    }
  }
  source->stop(std::chrono::steady_clock::now() + 5s);
  EXPECT_EQ(sink.closed(queue), 0);

  // The one not acked is back on the queue, marked redelivered; the acked ones are gone.
  const boost::json::value back =
      pika_json("method, props, body = ch.basic_get('" + queue +
                "', auto_ack=True)\n"
                "print(json.dumps([body.decode(), method.redelivered, method.message_count]))\n");
  EXPECT_EQ(back, (boost::json::array{"m2", true, 0}));
  EXPECT_EQ(metric(registry, "causeway_amqp_channel_errors_total{broker=\"rabbit\"}"), 0);
}

TEST(RabbitSource, ThePrefetchBoundsWhatIsHandedOverUnacked) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ prefetch: 5 }");
  const std::string queue = unique_name("orders");
  const std::string exchange = unique_name("events");
  std::unique_ptr<bridge::MessageSource> source = client->source(delivery_route(queue, {{exchange, "#"}}));
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));
  publish_with_pika(exchange, 20);

  // Five are out and fifteen wait at the broker, which sends no more until some are acked.
  ASSERT_TRUE(sink.wait_deliveries(5, 20s));
  ASSERT_TRUE(eventually([&] { return queue_state(queue) == QueueState{15, 1}; }, 20s, 200ms));
  EXPECT_EQ(sink.deliveries(), 5u);
  ASSERT_TRUE(eventually(
      [&] {
        const auto lag = source->lag();
        return lag.size() == 1 && lag[0].lane == queue && lag[0].messages == 15;
      },
      20s, 200ms));

  for (std::size_t i = 0; i < 5; ++i) sink.take(i).ack->handled();
  ASSERT_TRUE(sink.wait_deliveries(10, 20s));
  ASSERT_TRUE(eventually([&] { return queue_state(queue) == QueueState{10, 1}; }, 20s, 200ms));
  EXPECT_EQ(sink.deliveries(), 10u);
  source->stop(std::chrono::steady_clock::now() + 5s);
}

TEST(RabbitSource, AKeyHeaderKeysTheMessagesOrderWhenTheyCarryIt) {
  metrics::Registry registry;
  auto client = make_client(registry);
  const std::string queue = unique_name("orders");
  const std::string exchange = unique_name("events");
  auto source = client->source(delivery_route(queue, {{exchange, "#"}}, "tenant"));
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));
  publish_with_pika(exchange, 2);
  ASSERT_TRUE(sink.wait_deliveries(2, 20s));
  EXPECT_EQ(sink.take(0).message.key, "t0");
  EXPECT_EQ(sink.take(1).message.key, "t1");
  source->stop(std::chrono::steady_clock::now() + 5s);
}

TEST(RabbitSource, QueuesAreDeclaredQuorumWhenAsked) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ queue_type: quorum }");
  const std::string queue = unique_name("orders");
  auto source = client->source(delivery_route(queue, {}));
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));
  // Declaring it again as quorum is a no-op only when it is one (else 406 PRECONDITION_FAILED).
  const CommandResult same = rabbit_server().pika(
      "ch.queue_declare('" + queue + "', durable=True, arguments={'x-queue-type': 'quorum'})\nprint('same')\n");
  EXPECT_EQ(same.exit_code, 0) << same.output;
  source->stop(std::chrono::steady_clock::now() + 5s);
}

TEST(RabbitSource, AnExistingQueueIsUsedAsItIsAndAMissingOneWithDeclareOffIsRetried) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ declare: false }");
  const std::string queue = unique_name("orders");
  auto source = client->source(delivery_route(queue, {}));
  RecordingSink sink;
  source->start(sink);
  EXPECT_EQ(sink.opened(queue), 0);
  EXPECT_GE(metric(registry, "causeway_amqp_channel_errors_total{broker=\"rabbit\"}"), 1);
  // Once someone else declares it, the consumer's next try starts it.
  ASSERT_EQ(rabbit_server().pika("ch.queue_declare('" + queue + "', durable=True)\n").exit_code, 0);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 20s));
  ASSERT_TRUE(eventually([&] { return queue_state(queue) == QueueState{0, 1}; }, 20s, 200ms));
  source->stop(std::chrono::steady_clock::now() + 5s);
}

TEST(RabbitSource, AQueueDeletedUnderTheConsumerIsDeclaredAndBoundAgain) {
  metrics::Registry registry;
  auto client = make_client(registry);
  const std::string queue = unique_name("orders");
  const std::string exchange = unique_name("events");
  auto source = client->source(delivery_route(queue, {{exchange, "#"}}));
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));

  // The broker cancels the consumer (consumer_cancel_notify); the lane closes and, after
  // a backoff, the queue is declared and bound again and the lane opens.
  ASSERT_EQ(rabbit_server().pika("ch.queue_delete('" + queue + "')\n").exit_code, 0);
  ASSERT_TRUE(eventually([&] { return sink.closed(queue) == 1; }, 20s));
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 2; }, 20s));
  publish_with_pika(exchange, 1);
  ASSERT_TRUE(sink.wait_deliveries(1, 20s));
  EXPECT_EQ(sink.take(0).message.value, "m0");
  source->stop(std::chrono::steady_clock::now() + 5s);
}

}  // namespace
}  // namespace causeway::testing::rabbit
