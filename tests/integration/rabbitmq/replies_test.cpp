// Replies through the adapter: RabbitMQ's direct reply-to, and a named reply queue that
// replicas share, with a pika responder on the other side.
#include <gtest/gtest.h>

#include <thread>

#include "rabbit_fixture.h"

namespace causeway::testing::rabbit {
namespace {

TEST(RabbitReplies, DirectReplyToComesBackOnThePublishingChannel) {
  metrics::Registry registry;
  auto client = make_client(registry);
  ReplyLog replies;
  const bridge::ReplyChannel channel = client->open_replies("direct", replies.callback());
  EXPECT_EQ(channel.reply_to, "amq.rabbitmq.reply-to");
  EXPECT_TRUE(channel.extra.empty());

  const std::string requests = unique_name("requests");
  ASSERT_EQ(rabbit_server().pika("ch.queue_declare('" + requests + "')\n").exit_code, 0);
  CommandResult answered;
  std::thread service = responder(requests, answered);
  bridge::OutboundMessage request;
  request.topic = "";
  request.key = requests;
  request.value = "ping";
  request.headers = {{"correlation-id", "c-direct"}, {"reply-to", channel.reply_to}, {"traceparent", "00-a-b-01"}};
  EXPECT_EQ(publish(*client->publisher(), request).outcome, Outcome::stored);

  const bool replied = replies.wait(1, 30s);
  service.join();
  ASSERT_TRUE(replied);
  ASSERT_EQ(answered.exit_code, 0) << answered.output;
  // The broker put a reply-to address of this channel in place of the pseudo-queue's name.
  EXPECT_NE(answered.output.find("amq.rabbitmq.reply-to."), std::string::npos) << answered.output;
  const bridge::InboundMessage reply = replies.at(0);
  EXPECT_EQ(reply.value, "pong:ping");
  EXPECT_EQ(reply.topic, "amq.rabbitmq.reply-to");
  ASSERT_NE(header(reply.headers, "correlation-id"), nullptr);
  EXPECT_EQ(*header(reply.headers, "correlation-id"), "c-direct");
  ASSERT_NE(header(reply.headers, "status"), nullptr);
  EXPECT_EQ(*header(reply.headers, "status"), "201");
  EXPECT_EQ(*header(reply.headers, "content-type"), "text/plain");
  EXPECT_EQ(*header(reply.headers, "traceparent"), "00-a-b-01");
}

TEST(RabbitReplies, ADirectRequestWithoutTheReplyConsumerIsRejectedWithoutCostingTheChannel) {
  metrics::Registry registry;
  auto client = make_client(registry);
  bridge::OutboundMessage request;
  request.topic = "";
  request.key = unique_name("requests");
  request.headers = {{"correlation-id", "c-1"}, {"reply-to", "amq.rabbitmq.reply-to"}};
  EXPECT_EQ(publish(*client->publisher(), request).outcome, Outcome::rejected);
  EXPECT_EQ(metric(registry, "causeway_amqp_channel_errors_total{broker=\"rabbit\"}"), 0);
}

TEST(RabbitReplies, ANamedReplyQueueIsDeclaredAndItsRepliesAcked) {
  metrics::Registry registry;
  auto client = make_client(registry);
  ReplyLog replies;
  const std::string queue = unique_name("replies");
  const bridge::ReplyChannel channel = client->open_replies(queue, replies.callback());
  EXPECT_EQ(channel.reply_to, queue);

  // The adapter declared it durable: declaring it so again is a no-op, not an error.
  ASSERT_EQ(rabbit_server()
                .pika("ch.queue_declare('" + queue +
                      "', durable=True)\n"
                      "ch.basic_publish('', '" +
                      queue +
                      "', b'the answer',\n"
                      "    pika.BasicProperties(correlation_id='c-named', headers={'status': '202'}))\n")
                .exit_code,
            0);
  ASSERT_TRUE(replies.wait(1, 20s));
  const bridge::InboundMessage reply = replies.at(0);
  EXPECT_EQ(reply.value, "the answer");
  EXPECT_EQ(reply.topic, queue);
  EXPECT_EQ(*header(reply.headers, "correlation-id"), "c-named");
  EXPECT_EQ(*header(reply.headers, "status"), "202");
  EXPECT_TRUE(eventually([&] { return queue_state(queue) == QueueState{0, 1}; }, 20s, 200ms));
}

TEST(RabbitReplies, AReplyNobodyHereWaitsForIsGivenBackOnceForAnotherReplica) {
  metrics::Registry registry;
  auto client = make_client(registry);
  ReplyLog replies(false);
  const std::string queue = unique_name("replies");
  client->open_replies(queue, replies.callback());
  ASSERT_EQ(rabbit_server()
                .pika("ch.basic_publish('', '" + queue + "', b'late', pika.BasicProperties(correlation_id='c-late'))\n")
                .exit_code,
            0);
  ASSERT_TRUE(replies.wait(2, 20s));
  EXPECT_EQ(*header(replies.at(1).headers, "correlation-id"), "c-late");
  EXPECT_TRUE(
      eventually([&] { return metric(registry, "causeway_amqp_replies_dropped_total{broker=\"rabbit\"}") == 1; }, 20s));
  EXPECT_EQ(metric(registry, "causeway_amqp_replies_requeued_total{broker=\"rabbit\"}"), 1);
  EXPECT_EQ(queue_state(queue).messages, 0);
}

}  // namespace
}  // namespace causeway::testing::rabbit
