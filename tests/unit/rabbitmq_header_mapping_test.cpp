// The RabbitMQ wire contract both ways: the flows' headers onto AMQP properties and the
// headers table, and a delivery back into headers under the wire names.
#include <gtest/gtest.h>

#include "rabbitmq/header_mapping.h"

namespace causeway::rabbitmq {
namespace {

const bridge::Header* header(const bridge::Headers& headers, const std::string& name) {
  for (const auto& h : headers) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

bridge::OutboundMessage request() {
  bridge::OutboundMessage message;
  message.topic = "orders";
  message.key = "created.42";
  message.value = R"({"id":42})";
  message.headers = {{"correlation-id", "c-1"},
                     {"reply-to", "amq.rabbitmq.reply-to"},
                     {"content-type", "application/json"},
                     {"traceparent", "00-abc-def-01"},
                     {"tracestate", "k=v"},
                     {"x-tenant", "acme"}};
  return message;
}

TEST(HeaderMapping, WireHeadersBecomePropertiesAndTheRestTheTable) {
  const Publication out = to_publication(request(), config::WireHeaders{}, 1700000000);
  EXPECT_EQ(out.exchange, "orders");
  EXPECT_EQ(out.routing_key, "created.42");
  EXPECT_EQ(out.body, R"({"id":42})");
  EXPECT_EQ(out.properties.correlation_id, "c-1");
  EXPECT_EQ(out.properties.message_id, "c-1");
  EXPECT_EQ(out.properties.reply_to, "amq.rabbitmq.reply-to");
  EXPECT_EQ(out.properties.content_type, "application/json");
  EXPECT_EQ(out.properties.timestamp, 1700000000u);
  EXPECT_EQ(out.properties.delivery_mode, 2);
  ASSERT_EQ(out.properties.headers.size(), 3u);
  EXPECT_EQ(out.properties.headers[0].name, "traceparent");
  EXPECT_EQ(out.properties.headers[0].value, "00-abc-def-01");
  EXPECT_EQ(out.properties.headers[1].name, "tracestate");
  EXPECT_EQ(out.properties.headers[2].name, "x-tenant");
}

TEST(HeaderMapping, ConfiguredWireNamesAreTheOnesMapped) {
  config::WireHeaders spring;
  spring.correlation_id = "kafka_correlationId";
  spring.reply_to = "kafka_replyTopic";
  bridge::OutboundMessage message = request();
  message.headers = {{"kafka_correlationId", "c-2"}, {"kafka_replyTopic", "replies"}, {"correlation-id", "other"}};
  const Publication out = to_publication(message, spring, 1);
  EXPECT_EQ(out.properties.correlation_id, "c-2");
  EXPECT_EQ(out.properties.reply_to, "replies");
  ASSERT_EQ(out.properties.headers.size(), 1u);
  EXPECT_EQ(out.properties.headers[0].name, "correlation-id");
}

TEST(HeaderMapping, AReplyAddressGoesThroughTheDefaultExchange) {
  bridge::OutboundMessage reply;
  reply.topic = "amq.rabbitmq.reply-to.g1h2AA==";
  reply.key = "ignored";
  reply.to_reply_address = true;
  reply.headers = {{"correlation-id", "c-3"}, {"status", "201"}};
  const Publication out = to_publication(reply, config::WireHeaders{}, 1);
  EXPECT_EQ(out.exchange, "");
  EXPECT_EQ(out.routing_key, "amq.rabbitmq.reply-to.g1h2AA==");
  ASSERT_EQ(out.properties.headers.size(), 1u);
  EXPECT_EQ(out.properties.headers[0].name, "status");
  EXPECT_EQ(out.properties.headers[0].value, "201");
}

TEST(HeaderMapping, NoKeyIsAnEmptyRoutingKeyAndNoCorrelationIdNoMessageId) {
  bridge::OutboundMessage message;
  message.topic = "fanout";
  const Publication out = to_publication(message, config::WireHeaders{}, 7);
  EXPECT_EQ(out.routing_key, "");
  EXPECT_FALSE(out.properties.message_id.has_value());
  EXPECT_FALSE(out.properties.correlation_id.has_value());
  EXPECT_EQ(out.properties.timestamp, 7u);
  EXPECT_TRUE(out.properties.headers.empty());
}

TEST(HeaderMapping, ADeliveryBecomesHeadersUnderTheWireNames) {
  MessageProperties properties;
  properties.correlation_id = "c-4";
  properties.reply_to = "quotes.replies";
  properties.content_type = "text/plain";
  properties.message_id = "m-4";
  properties.timestamp = 1700000001;
  properties.delivery_mode = 2;
  properties.app_id = "billing";
  properties.headers = {{"traceparent", "00-1-2-01"}, {"x-death", R"([{"count":1}])"}};
  const bridge::InboundMessage in =
      to_inbound(properties, "hello", Arrival{"orders", "created.7", "orders.handler"}, config::WireHeaders{});
  EXPECT_EQ(in.topic, "orders.handler");
  EXPECT_EQ(in.key, "created.7");
  EXPECT_EQ(in.value, "hello");
  EXPECT_EQ(in.partition, -1);
  EXPECT_EQ(in.offset, -1);
  EXPECT_EQ(header(in.headers, "correlation-id")->value, "c-4");
  EXPECT_EQ(header(in.headers, "reply-to")->value, "quotes.replies");
  EXPECT_EQ(header(in.headers, "content-type")->value, "text/plain");
  EXPECT_EQ(header(in.headers, "amqp-message-id")->value, "m-4");
  EXPECT_EQ(header(in.headers, "amqp-timestamp")->value, "1700000001");
  EXPECT_EQ(header(in.headers, "amqp-delivery-mode")->value, "2");
  EXPECT_EQ(header(in.headers, "amqp-app-id")->value, "billing");
  EXPECT_EQ(header(in.headers, "traceparent")->value, "00-1-2-01");
  EXPECT_EQ(header(in.headers, "x-death")->value, R"([{"count":1}])");
  EXPECT_EQ(header(in.headers, "amqp-user-id"), nullptr);
  EXPECT_EQ(in.origin_prefix, "x-amqp-");
  ASSERT_EQ(in.origin.size(), 3u);
  EXPECT_EQ(header(in.origin, "exchange")->value, "orders");
  EXPECT_EQ(header(in.origin, "routing-key")->value, "created.7");
  EXPECT_EQ(header(in.origin, "queue")->value, "orders.handler");
}

TEST(HeaderMapping, AMessageReadAndPublishedAgainKeepsItsProperties) {
  MessageProperties properties;
  properties.correlation_id = "c-5";
  properties.message_id = "original-id";
  properties.timestamp = 1600000000;
  properties.type = "order.created";
  properties.app_id = "shop";
  properties.priority = 5;
  properties.content_encoding = "gzip";
  properties.user_id = "shop-user";
  properties.expiration = "60000";
  properties.headers = {{"x-tenant", "acme"}};
  const bridge::InboundMessage in = to_inbound(properties, "body", Arrival{"", "q", "q"}, config::WireHeaders{});
  EXPECT_EQ(in.key, std::nullopt) << "the default exchange's routing key only names the queue: no order key";
  EXPECT_EQ(header(in.origin, "routing-key")->value, "q");
  bridge::OutboundMessage again;
  again.topic = "orders.dlx";
  again.headers = in.headers;
  const Publication out = to_publication(again, config::WireHeaders{}, 1700000000);
  EXPECT_EQ(out.properties.correlation_id, "c-5");
  EXPECT_EQ(out.properties.message_id, "original-id");
  EXPECT_EQ(out.properties.timestamp, 1600000000u);
  EXPECT_EQ(out.properties.type, "order.created");
  EXPECT_EQ(out.properties.app_id, "shop");
  EXPECT_EQ(out.properties.priority, 5);
  EXPECT_EQ(out.properties.content_encoding, "gzip");
  EXPECT_EQ(out.properties.delivery_mode, 2);
  // The broker checks user_id against the connection's user, and a copy should not expire.
  EXPECT_FALSE(out.properties.user_id.has_value());
  EXPECT_FALSE(out.properties.expiration.has_value());
  EXPECT_NE(header(out.properties.headers, "amqp-user-id"), nullptr);
  EXPECT_NE(header(out.properties.headers, "x-tenant"), nullptr);
}

TEST(HeaderMapping, AnUnreadablePriorityOrTimestampStaysAHeader) {
  bridge::OutboundMessage message;
  message.topic = "x";
  message.headers = {{"amqp-priority", "high"}, {"amqp-timestamp", "yesterday"}};
  const Publication out = to_publication(message, config::WireHeaders{}, 9);
  EXPECT_FALSE(out.properties.priority.has_value());
  EXPECT_EQ(out.properties.timestamp, 9u);
  EXPECT_EQ(out.properties.headers.size(), 2u);
}

}  // namespace
}  // namespace causeway::rabbitmq
