#include <gtest/gtest.h>

#include "bridge_fake_ports.h"

#include "bridge/event_message.h"

namespace causeway::bridge {
namespace {

config::Route event_route() {
  config::Route route;
  route.name = "order-created";
  route.from = config::HttpSource{"public", "POST", routing::PathTemplate::parse("/orders/{customer}/events")};
  config::TopicTarget target;
  target.broker = "events";
  target.topic = routing::ValueTemplate::parse("orders.{region}");
  target.key = routing::ValueTemplate::parse("{customer}");
  route.to = target;
  route.headers = {"x-tenant"};
  route.cloudevents = {"com.example.order", "/shop"};
  return route;
}

EventStamp fixed_stamp() {
  EventStamp stamp;
  stamp.correlation_id = "id-1";
  stamp.trace.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  stamp.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764165000123));
  return stamp;
}

const std::string* header(const OutboundMessage& message, std::string_view name) {
  return find_header(message.headers, name);
}

TEST(EventMessage, CarriesKeyValueAndContractHeaders) {
  auto route = event_route();
  Request request{"POST", "/orders/c42/events", "", {{"content-type", "application/json"}, {"x-tenant", "t1"}, {"x-other", "no"}}, R"({"sku":"A1"})"};
  routing::Captures captures{{"customer", "c42"}, {"region", "eu"}};
  auto built = build_event_message(route, std::get<config::TopicTarget>(route.to), {}, request, captures, fixed_stamp());
  ASSERT_TRUE(std::holds_alternative<OutboundMessage>(built));
  const auto& message = std::get<OutboundMessage>(built);
  EXPECT_EQ(message.topic, "orders.eu");
  EXPECT_EQ(message.key, "c42");
  EXPECT_EQ(message.value, R"({"sku":"A1"})");
  EXPECT_EQ(*header(message, "correlation-id"), "id-1");
  EXPECT_EQ(*header(message, "content-type"), "application/json");
  EXPECT_EQ(*header(message, "traceparent"), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(*header(message, "x-tenant"), "t1");
  EXPECT_EQ(header(message, "x-other"), nullptr);
  EXPECT_EQ(header(message, "ce_id"), nullptr);
  EXPECT_EQ(header(message, "tracestate"), nullptr);
}

TEST(EventMessage, CloudEventsBinaryModeAddsAttributes) {
  auto route = event_route();
  route.envelope = config::Envelope::cloudevents;
  Request request{"POST", "/orders/c42/events", "", {}, "{}"};
  routing::Captures captures{{"customer", "c42"}, {"region", "eu"}};
  auto built = build_event_message(route, std::get<config::TopicTarget>(route.to), {}, request, captures, fixed_stamp());
  const auto& message = std::get<OutboundMessage>(built);
  EXPECT_EQ(*header(message, "ce_specversion"), "1.0");
  EXPECT_EQ(*header(message, "ce_id"), "id-1");
  EXPECT_EQ(*header(message, "ce_type"), "com.example.order");
  EXPECT_EQ(*header(message, "ce_source"), "/shop");
  EXPECT_EQ(*header(message, "ce_time"), "2025-11-26T13:50:00.123Z");
  EXPECT_EQ(header(message, "content-type"), nullptr);  // the client sent none
}

TEST(EventMessage, RejectsNamesTheBrokerForbids) {
  auto route = event_route();
  Request request{"POST", "/x", "", {}, ""};
  routing::Captures captures{{"customer", "c42"}, {"region", "a b"}};
  testing::FakeProducer producer;
  producer.refuse_names_with = " ";
  auto built = build_event_message(route, std::get<config::TopicTarget>(route.to), {}, request, captures, fixed_stamp(),
                                   std::nullopt, &producer);
  ASSERT_TRUE(std::holds_alternative<std::string>(built));
  EXPECT_EQ(std::get<std::string>(built), "the path gives the name 'orders.a b': not allowed here");
}

TEST(EventMessage, RequestReplyAddsReplyHeadersInTheBrokersConvention) {
  auto route = event_route();
  Request request{"POST", "/x", "", {}, "{}"};
  routing::Captures captures{{"customer", "c42"}, {"region", "eu"}};
  config::WireHeaders spring;
  spring.correlation_id = "kafka_correlationId";
  spring.reply_to = "kafka_replyTopic";
  // The adapter says what else a request carries for its reply (Kafka: the partition).
  ReplyChannel channel{"quotes.replies", {{"kafka_replyPartition", std::string("\0\0\1\2", 4)}}};
  auto built = build_event_message(route, std::get<config::TopicTarget>(route.to), spring, request, captures,
                                   fixed_stamp(), channel);
  const auto& message = std::get<OutboundMessage>(built);
  EXPECT_EQ(*header(message, "kafka_correlationId"), "id-1");
  EXPECT_EQ(*header(message, "kafka_replyTopic"), "quotes.replies");
  EXPECT_EQ(*header(message, "kafka_replyPartition"), std::string("\0\0\1\2", 4));
  EXPECT_EQ(header(message, "correlation-id"), nullptr);

  Request plain{"POST", "/x", "", {}, "{}"};
  auto defaults = build_event_message(route, std::get<config::TopicTarget>(route.to), {}, plain, captures,
                                      fixed_stamp(), ReplyChannel{"amq.rabbitmq.reply-to", {}});
  EXPECT_EQ(*header(std::get<OutboundMessage>(defaults), "reply-to"), "amq.rabbitmq.reply-to");
  EXPECT_EQ(header(std::get<OutboundMessage>(defaults), "reply-partition"), nullptr);
}

TEST(EventMessage, IdempotencyKeyGivesTheSameCorrelationIdPerRoute) {
  auto route = event_route();
  Request first{"POST", "/x", "", {{"idempotency-key", "k-1"}}, ""};
  Request again = first;
  Request other{"POST", "/x", "", {{"idempotency-key", "k-2"}}, ""};
  Request none{"POST", "/x", "", {}, ""};
  auto a = stamp_request(route, first).correlation_id;
  EXPECT_EQ(a, stamp_request(route, again).correlation_id);
  EXPECT_NE(a, stamp_request(route, other).correlation_id);
  EXPECT_NE(stamp_request(route, none).correlation_id, stamp_request(route, none).correlation_id);
  auto renamed = route;
  renamed.name = "another-route";
  EXPECT_NE(a, stamp_request(renamed, first).correlation_id);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '5');  // UUID version 5
}

}  // namespace
}  // namespace causeway::bridge
