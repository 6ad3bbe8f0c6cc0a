// The event and request-reply flows alone, against a fake publisher: what a caller hears
// for each outcome, what goes on the wire, and that a wait is registered before the
// message leaves, whatever the broker.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "bridge/event_flow.h"
#include "bridge/reply_waiters.h"
#include "bridge/request_reply_flow.h"
#include "bridge_fake_ports.h"
#include "config/config_loader.h"
#include "metrics/registry.h"

namespace causeway::bridge {
namespace {

using testing::FakeProducer;
using Outcome = DeliveryReport::Outcome;

config::Config publish_config() {
  return config::parse_config(R"(
listeners:
  public: { protocol: http, listen: "127.0.0.1:0" }
brokers:
  events: { bootstrap: "127.0.0.1:9092" }
routes:
  - name: order-created
    from: { listener: public, method: POST, path: "/orders/{customer}" }
    to: { broker: events, topic: "orders.{customer}", key: "{customer}" }
  - name: quote
    from: { listener: public, method: POST, path: /quotes }
    to: { broker: events, topic: quotes.requests, reply: quotes.replies, timeout: 5s }
)",
                              "test.yaml");
}

// What a flow answered, once it did.
struct Answer {
  std::shared_ptr<std::optional<Response>> got = std::make_shared<std::optional<Response>>();
  Responder responder() {
    return Responder([got = got](Response response) { *got = std::move(response); });
  }
};

Request post(std::string path, std::string body, Headers headers = {{"content-type", "application/json"}}) {
  return Request{"POST", std::move(path), "", std::move(headers), std::move(body)};
}

struct Fixture {
  config::Config config = publish_config();
  metrics::Registry registry;
  FlowMetrics metrics{registry};
  std::shared_ptr<FakeProducer> producer = std::make_shared<FakeProducer>();
};

TEST(EventFlow, StoredIs202WithWhereItWentAndTheMessageCarriesTheContract) {
  Fixture f;
  EventFlow flow(f.config.routes[0], f.config.brokers[0], f.producer, f.metrics);
  Answer answer;
  flow.handle(post("/orders/c1", R"({"sku":"A1"})"), {{"customer", "c1"}}, answer.responder());
  ASSERT_TRUE(answer.got->has_value());
  EXPECT_EQ((*answer.got)->status, 202);
  auto body = boost::json::parse((*answer.got)->body).as_object();
  EXPECT_EQ(body.at("topic"), "orders.c1");
  const auto sent = f.producer->sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "orders.c1");
  EXPECT_EQ(sent[0].key, "c1");
  EXPECT_EQ(sent[0].value, R"({"sku":"A1"})");
  EXPECT_EQ(*find_header(sent[0].headers, "correlation-id"), body.at("id").as_string().c_str());
  EXPECT_EQ(*find_header(sent[0].headers, "content-type"), "application/json");
  EXPECT_NE(find_header(sent[0].headers, "traceparent"), nullptr);
}

// librdkafka acknowledges a retried batch without an offset when a later one was stored
// (its delivery report says -1001): the 202 names the partition and leaves the offset out.
TEST(EventFlow, AStoredMessageWithoutAKnownOffsetIs202WithoutOne) {
  Fixture f;
  f.producer->offset_unknown = true;
  EventFlow flow(f.config.routes[0], f.config.brokers[0], f.producer, f.metrics);
  Answer answer;
  flow.handle(post("/orders/c1", "{}"), {{"customer", "c1"}}, answer.responder());
  ASSERT_TRUE(answer.got->has_value());
  EXPECT_EQ((*answer.got)->status, 202);
  auto body = boost::json::parse((*answer.got)->body).as_object();
  EXPECT_EQ(body.at("partition"), 0);
  EXPECT_FALSE(body.contains("offset")) << (*answer.got)->body;
}

TEST(EventFlow, EachOutcomeThatIsNotStoredHasItsOwnStatusAndNeverA202) {
  struct Case {
    Outcome outcome;
    int status;
    std::string error;
  };
  for (const auto& [outcome, status, error] :
       {Case{Outcome::not_stored, 503, "broker_unavailable"}, Case{Outcome::maybe_stored, 504, "broker_timeout"},
        Case{Outcome::queue_full, 503, "queue_full"}, Case{Outcome::too_large, 413, "body_too_large"},
        Case{Outcome::rejected, 502, "bad_gateway"}, Case{Outcome::unroutable, 502, "unroutable"}}) {
    SCOPED_TRACE(error);
    Fixture f;
    f.producer->outcome = outcome;
    EventFlow flow(f.config.routes[0], f.config.brokers[0], f.producer, f.metrics);
    Answer answer;
    flow.handle(post("/orders/c1", "{}"), {{"customer", "c1"}}, answer.responder());
    ASSERT_TRUE(answer.got->has_value());
    EXPECT_EQ((*answer.got)->status, status);
    EXPECT_EQ(boost::json::parse((*answer.got)->body).at("error"), error.c_str());
  }
}

TEST(EventFlow, ANameTheBrokerRefusesIs400AndNothingIsPublished) {
  Fixture f;
  f.producer->refuse_names_with = "..";
  EventFlow flow(f.config.routes[0], f.config.brokers[0], f.producer, f.metrics);
  Answer answer;
  flow.handle(post("/orders/..", "{}"), {{"customer", ".."}}, answer.responder());
  ASSERT_TRUE(answer.got->has_value());
  EXPECT_EQ((*answer.got)->status, 400);
  EXPECT_TRUE(f.producer->sent().empty());
}

TEST(RequestReplyFlow, TheReplyBecomesTheResponseAndTheRequestSaysWhereToReply) {
  Fixture f;
  ReplyWaiters waiters(ReplyLimits{});
  ReplyChannel channel{"amq.rabbitmq.reply-to", {}};
  RequestReplyFlow flow(f.config.routes[1], f.config.brokers[0], channel, f.producer, waiters, f.metrics);
  Answer answer;
  flow.handle(post("/quotes", R"({"sku":"A1"})"), {}, answer.responder());
  EXPECT_FALSE(answer.got->has_value());  // waiting for the reply
  const auto sent = f.producer->sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(*find_header(sent[0].headers, "reply-to"), "amq.rabbitmq.reply-to");
  const std::string id = *find_header(sent[0].headers, "correlation-id");
  EXPECT_TRUE(waiters.deliver(id, Response{201, {{"content-type", "text/plain"}}, "quoted"},
                              std::chrono::steady_clock::now()));
  ASSERT_TRUE(answer.got->has_value());
  EXPECT_EQ((*answer.got)->status, 201);
  EXPECT_EQ((*answer.got)->body, "quoted");
}

TEST(RequestReplyFlow, ARequestTheBrokerDidNotStoreIs503AtOnceAndItsWaitIsGone) {
  Fixture f;
  f.producer->outcome = Outcome::not_stored;
  ReplyWaiters waiters(ReplyLimits{});
  RequestReplyFlow flow(f.config.routes[1], f.config.brokers[0], ReplyChannel{"quotes.replies", {}}, f.producer,
                        waiters, f.metrics);
  Answer answer;
  flow.handle(post("/quotes", "{}"), {}, answer.responder());
  ASSERT_TRUE(answer.got->has_value());
  EXPECT_EQ((*answer.got)->status, 503);
  const std::string id = *find_header(f.producer->sent()[0].headers, "correlation-id");
  EXPECT_FALSE(waiters.deliver(id, Response{200, {}, "late"}, std::chrono::steady_clock::now()));
}

TEST(RequestReplyFlow, AReplyFasterThanTheBrokersAcknowledgementIsNotMissed) {
  Fixture f;
  f.producer->hold = true;  // the acknowledgement comes after the reply
  ReplyWaiters waiters(ReplyLimits{});
  RequestReplyFlow flow(f.config.routes[1], f.config.brokers[0], ReplyChannel{"quotes.replies", {}}, f.producer,
                        waiters, f.metrics);
  Answer answer;
  flow.handle(post("/quotes", "{}"), {}, answer.responder());
  const std::string id = *find_header(f.producer->sent()[0].headers, "correlation-id");
  EXPECT_TRUE(waiters.deliver(id, Response{200, {}, "fast"}, std::chrono::steady_clock::now()));
  f.producer->release(Outcome::stored);
  ASSERT_TRUE(answer.got->has_value());
  EXPECT_EQ((*answer.got)->body, "fast");
}

}  // namespace
}  // namespace causeway::bridge
