// Every bridge over RabbitMQ, end to end: the causeway binary, a real rabbitmq-server
// on loopback, and pika (Debian's python3-pika) as the independent client that shows
// what is on the wire and plays the other services.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_rabbitmq.h"
#include "harness_replies.h"
#include "harness_service.h"
#include "rabbit_bridge_fixture.h"

namespace causeway::testing {
namespace {

using rabbit::rabbit_server;

TEST(RabbitEvent, A202ComesAfterTheConfirmAndTheMessageCarriesItsProperties) {
  bound_queue("orders-a", "orders-a.all", "created.*");
  CausewayProcess causeway(rabbit_config(
      "  - name: order-created\n"
      "    from: { listener: public, method: POST, path: \"/orders/{customer}\" }\n"
      "    to: { broker: rabbit, exchange: orders-a, routing_key: \"created.{customer}\" }\n"
      "    headers: [x-tenant]\n"));
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto response = http(causeway.listener(), "POST", "/orders/c" + std::to_string(i),
                         {{"Content-Type", "application/json"}, {"X-Tenant", "t1"}}, R"({"n":)" + std::to_string(i) + "}");
    ASSERT_EQ(response.status, 202) << response.body << "\n" << causeway.log();
    ids.insert(std::string(response.json().at("id").as_string()));
    EXPECT_EQ(response.json().at("exchange"), "orders-a");
    EXPECT_EQ(response.json().at("routing_key").as_string(), "created.c" + std::to_string(i));
    EXPECT_FALSE(response.json().as_object().contains("partition")) << "RabbitMQ has no partitions";
  }
  auto seen = pika(
      "out = []\n"
      "for _ in range(5):\n"
      "  m, p, b = ch.basic_get('orders-a.all', auto_ack=True)\n"
      "  out.append({'key': m.routing_key, 'id': p.correlation_id, 'mid': p.message_id, 'type': p.content_type,\n"
      "              'mode': p.delivery_mode, 'tenant': (p.headers or {}).get('x-tenant'),\n"
      "              'trace': (p.headers or {}).get('traceparent'), 'body': b.decode()})\n"
      "print(json.dumps(out))");
  auto messages = boost::json::parse(seen).as_array();
  ASSERT_EQ(messages.size(), 5u);
  for (const auto& value : messages) {
    const auto& message = value.as_object();
    EXPECT_TRUE(ids.contains(std::string(message.at("id").as_string()))) << message;
    EXPECT_EQ(message.at("mid"), message.at("id"));
    EXPECT_EQ(message.at("type"), "application/json");
    EXPECT_EQ(message.at("mode"), 2);
    EXPECT_EQ(message.at("tenant"), "t1");
    EXPECT_TRUE(message.at("trace").is_string());
    EXPECT_TRUE(std::string(message.at("key").as_string()).starts_with("created.c"));
  }
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_produced_total", {{"broker", "rabbit"}, {"result", "ok"}}), 5);
}

TEST(RabbitEvent, AMessageNoQueueIsBoundForIs502UnroutableNever202) {
  pika("ch.exchange_declare('nowhere', 'topic', durable=True)\nprint('ok')");
  CausewayProcess causeway(rabbit_config(
      "  - name: order-created\n"
      "    from: { listener: public, method: POST, path: \"/orders/{customer}\" }\n"
      "    to: { broker: rabbit, exchange: nowhere, routing_key: \"created.{customer}\" }\n"));
  auto response = http(causeway.listener(), "POST", "/orders/c1", {}, "{}");
  EXPECT_EQ(response.status, 502) << response.body;
  EXPECT_EQ(response.error(), "unroutable") << response.body;
}

class RabbitRequestReply : public ::testing::TestWithParam<std::string> {};

TEST_P(RabbitRequestReply, TheRepliesOfConcurrentCallersComeBackToEachByCorrelationId) {
  const std::string queue = "quotes-" + GetParam();
  auto service = rabbit_responder(queue);
  CausewayProcess causeway(rabbit_config(
      "  - name: quote\n"
      "    from: { listener: public, method: POST, path: /quotes }\n"
      "    to: { broker: rabbit, exchange: \"\", routing_key: " + queue + ", reply: " + GetParam() + ", timeout: 10s }\n"));
  std::vector<std::thread> callers;
  std::atomic<int> right{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&, i] {
      for (int n = 0; n < 10; ++n) {
        const std::string body = "q" + std::to_string(i) + "-" + std::to_string(n);
        auto response = http(causeway.listener(), "POST", "/quotes", {{"Content-Type", "text/plain"}}, body, 15s);
        if (response.status == 201 && response.body == body) ++right;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(right.load(), 80) << causeway.log();
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_replies_orphaned_total"), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, RabbitRequestReply, ::testing::Values("direct", "quotes-replies-shared"),
                         [](const auto& info) { return info.param == "direct" ? "DirectReplyTo" : "NamedReplyQueue"; });

TEST(RabbitDelivery, QueueToServiceInOrderWithRetriesAndAConfirmedDeadLetter) {
  bound_queue("dlx-d", "dlx-d.all", "#");
  std::atomic<int> failures{0};
  ScriptedService service([&](const ServiceRequest& request) {
    if (request.body == "poison") return ServiceAnswer{.status = 422};
    if (request.body == "flaky" && failures++ < 2) return ServiceAnswer{.status = 503};
    return ServiceAnswer{.status = 200};
  });
  CausewayProcess causeway(rabbit_config(
      "  - name: handle-orders\n"
      "    from: { broker: rabbit, queue: orders-d.handler, bind: { exchange: orders-d, routing_key: \"created.*\" } }\n"
      "    to: { upstream: orders, method: POST, path: \"/events/{routing_key}\" }\n"
      "    retry: { attempts: 5, backoff: 20ms, max_backoff: 100ms }\n"
      "    dead_letter: { exchange: dlx-d }\n",
      "", "upstreams:\n  orders: { url: \"" + service.url() + "\", timeout: 2s }\n"));
  pika("for body in ['a1', 'flaky', 'poison', 'a2']:\n"
       "  ch.basic_publish('orders-d', 'created.c1', body.encode(), pika.BasicProperties(headers={'x-tenant': 't1'}))\n"
       "print('ok')");
  ASSERT_TRUE(service.wait_requests(6, 20s)) << causeway.log();  // a1, flaky x3, poison, a2
  auto requests = service.requests();
  std::vector<std::string> bodies;
  for (const auto& request : requests) bodies.push_back(request.body);
  EXPECT_EQ(bodies, (std::vector<std::string>{"a1", "flaky", "flaky", "flaky", "poison", "a2"}));  // one key: in order
  EXPECT_EQ(requests[0].target, "/events/created.c1");
  EXPECT_EQ(requests[0].header("x-amqp-queue"), "orders-d.handler");
  EXPECT_EQ(requests[0].header("x-amqp-exchange"), "orders-d");
  EXPECT_EQ(requests[0].header("x-tenant"), "t1");
  auto letter = first_message("dlx-d.all", {"dlt-original-queue", "dlt-attempts"});
  EXPECT_EQ(letter.at("body"), "poison");
  EXPECT_EQ(letter.at("dlt-original-queue"), "orders-d.handler");
  EXPECT_EQ(letter.at("dlt-attempts"), "1");
  EXPECT_EQ(letter.at("key"), "created.c1");
  // Everything acknowledged: the queue is empty once the deliveries are done.
  EXPECT_TRUE(rabbit::eventually([] { return queue_depth("orders-d.handler") == 0; }, 10s, 200ms));
}

TEST(RabbitBridge, AQueueIsBridgedIntoAKafkaTopic) {
  CausewayProcess causeway(rabbit_config(
      "  - name: queue-to-topic\n"
      "    from: { broker: rabbit, queue: audit-b, bind: { exchange: orders-b, routing_key: \"#\" } }\n"
      "    to: { broker: events, topic: audit.from-rabbit }\n",
      "  events: { bootstrap: embedded, options: { linger.ms: 1 } }\n"));
  ASSERT_TRUE(causeway.wait_for_log("reading|consuming|queue", 10s)) << causeway.log();
  pika("for i in range(10):\n"
       "  ch.basic_publish('orders-b', 'k.' + str(i), ('m' + str(i)).encode())\n"
       "print('ok')");
  TopicReader reader(causeway.broker("events"), "audit.from-rabbit");
  auto messages = reader.read(10, 20s);
  ASSERT_EQ(messages.size(), 10u) << causeway.log();
  std::set<std::string> values;
  for (const auto& message : messages) values.insert(message.value);
  EXPECT_EQ(values.size(), 10u);
  EXPECT_EQ(messages[0].key->substr(0, 2), "k.");  // the routing key becomes the message key
}

// Reply callbacks over RabbitMQ, as on Kafka (callback_test.cpp), with the dead letter
// confirmed on an exchange.
TEST(RabbitCallback, TheReplyIsPostedAndARefusedOneIsDeadLetteredOnTheExchange) {
  pika("ch.exchange_declare('cb-dlx', 'topic', durable=True)\n"
       "ch.queue_declare('cb-dlx.all', durable=True)\n"
       "ch.queue_bind('cb-dlx.all', 'cb-dlx', '#')\nprint('ok')");
  ScriptedService receiver([](const ServiceRequest& request) {
    return ServiceAnswer{.status = request.body == "refuse me" ? 400 : 200};
  });
  auto service = rabbit_responder("quotes-cb");
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
      "brokers:\n  rabbit:\n    type: rabbitmq\n    url: " + rabbit_server().url() + "\n"
      "routes:\n"
      "  - name: quote\n"
      "    from: { listener: public, method: POST, path: /quotes }\n"
      "    to: { broker: rabbit, exchange: \"\", routing_key: quotes-cb, reply: direct, timeout: 10s }\n"
      "    callback:\n"
      "      allow: [\"" + receiver.url() + "/hooks/*\"]\n"
      "      secret: whsec_Y2FsbGJhY2sgdGVzdCBrZXk=\n"
      "      dead_letter: { exchange: cb-dlx }\n");

  auto accepted = post_quote(causeway.listener(), "hello", {{"Callback-Url", receiver.url() + "/hooks/a"}});
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id(accepted.json().at("id").as_string());
  ASSERT_TRUE(receiver.wait_requests(1, 15s)) << causeway.log();
  auto hook = receiver.requests().at(0);
  EXPECT_EQ(hook.body, "hello");
  EXPECT_EQ(hook.header("reply-status"), "201");
  EXPECT_EQ(hook.header("content-type"), "text/plain");
  EXPECT_EQ(hook.header("webhook-id"), id);
  EXPECT_TRUE(hook.header("webhook-signature").value_or("").starts_with("v1,"));

  auto refused = post_quote(causeway.listener(), "refuse me", {{"Callback-Url", receiver.url() + "/hooks/b"}});
  ASSERT_EQ(refused.status, 202) << refused.body;
  const std::string refused_id(refused.json().at("id").as_string());
  auto letter = first_message("cb-dlx.all", {"callback-url", "reply-status", "dlt-error"});
  EXPECT_EQ(letter.at("body"), "refuse me");
  EXPECT_EQ(letter.at("callback-url").as_string(), receiver.url() + "/hooks/b");
  EXPECT_EQ(letter.at("key").as_string(), refused_id);
  EXPECT_EQ(letter.at("reply-status"), "201");
  EXPECT_EQ(letter.at("dlt-error"), "400 from the receiver");
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "delivered"}}), 1);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "dead_letter"}}), 1);
}

// Prefer: respond-async over RabbitMQ: 202 + Location at once, the reply on a GET of it.
TEST(RabbitRequestReply, RespondAsyncGivesALocationThatAnswersWithTheReply) {
  auto service = rabbit_responder("quotes-async");
  CausewayProcess causeway(rabbit_config(
      "  - name: quote\n"
      "    from: { listener: public, method: POST, path: /quotes }\n"
      "    to: { broker: rabbit, exchange: \"\", routing_key: quotes-async, reply: direct, timeout: 10s }\n"));
  auto accepted = http(causeway.listener(), "POST", "/quotes", {{"Prefer", "respond-async"}, {"Content-Type", "text/plain"}},
                       "later please");
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const auto location = accepted.header("location");
  ASSERT_TRUE(location) << accepted.body;
  HttpResponse reply;
  ASSERT_TRUE(rabbit::eventually(
      [&] { return (reply = http(causeway.listener(), "GET", *location, {{"Prefer", "wait=5"}}, "", 10s)).status != 202; },
      15s));
  EXPECT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(reply.body, "later please");
}

TEST(RabbitRequestReply, NoReplyIs504AtTheTimeoutAndAnIdempotencyKeyJoinsThePendingRequest) {
  pika("ch.queue_declare('quotes-silent', durable=True)\nprint('ok')");  // nobody answers
  CausewayProcess causeway(rabbit_config(
      "  - name: quote\n"
      "    from: { listener: public, method: POST, path: /quotes }\n"
      "    to: { broker: rabbit, exchange: \"\", routing_key: quotes-silent, reply: direct, timeout: 1s }\n"));
  auto response = http(causeway.listener(), "POST", "/quotes", {}, "q", 10s);
  EXPECT_EQ(response.status, 504) << response.body;
  EXPECT_EQ(response.error(), "timeout");
  // Two callers with one key: one message on the queue, both hear the same answer.
  std::vector<std::thread> callers;
  std::vector<int> statuses(2);
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&, i] {
      statuses[i] = http(causeway.listener(), "POST", "/quotes", {{"Idempotency-Key", "k-1"}}, "same", 10s).status;
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(statuses, (std::vector<int>{504, 504}));
  EXPECT_EQ(queue_depth("quotes-silent"), 2);
}

}  // namespace
}  // namespace causeway::testing
