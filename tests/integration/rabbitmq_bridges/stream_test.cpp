// Stream routes (stream: sse) over RabbitMQ, end to end: events published by pika to an
// exchange reach clients reading text/event-stream on raw sockets; each client's queue
// is its own, exclusive and auto-delete, checked with rabbitmqctl.
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_rabbitmq.h"
#include "harness_sse.h"
#include "rabbit_bridge_fixture.h"

namespace causeway::testing {
namespace {

using rabbit::rabbit_server;

std::string stream_routes(const std::string& exchange, const std::string& options = "") {
  return "  - name: order-stream\n"
         "    from: { listener: public, method: GET, path: /streams/orders }\n"
         "    to: { broker: rabbit, exchange: " + exchange + ", stream: sse" + options + " }\n"
         "  - name: customer-stream\n"
         "    from: { listener: public, method: GET, path: \"/streams/orders/{customer}\" }\n"
         "    to: { broker: rabbit, exchange: " + exchange + ", routing_key: \"created.{customer}\", stream: sse" +
         options + " }\n";
}

double metric(const CausewayProcess& causeway, const std::string& name, const MetricsPage::Labels& labels) {
  return metric_now(causeway.admin(), name, labels);
}

bool clients_are(const CausewayProcess& causeway, const std::string& route, double count) {
  return eventually([&] { return metric(causeway, "causeway_stream_clients", {{"route", route}}) == count; }, 10s);
}

// `python` is a list of (routing key, body, properties) as Python expressions.
void publish(const std::string& exchange, const std::string& messages) {
  pika("ch.exchange_declare('" + exchange + "', 'topic', durable=True)\n"
       "for key, body, props in [" + messages + "]:\n"
       "  ch.basic_publish('" + exchange + "', key, body, props)\n"
       "print('ok')");
}

// The server-named queues of stream clients with the messages each holds (ready and unacked).
std::vector<std::pair<std::string, long>> stream_queues() {
  auto listed = rabbit_server().ctl({"list_queues", "--quiet", "--no-table-headers", "name", "messages"});
  std::vector<std::pair<std::string, long>> queues;
  std::istringstream lines(listed.output);
  std::string name;
  long messages = 0;
  while (lines >> name >> messages) {
    if (name.starts_with("amq.gen-")) queues.emplace_back(name, messages);
  }
  return queues;
}

TEST(RabbitStream, EventsPublishedToTheExchangeReachTheClientNamedByTheirType) {
  CausewayProcess causeway(rabbit_config(stream_routes("orders-s1")));
  // Nothing to resume from on RabbitMQ: a Last-Event-ID is ignored and the stream starts now.
  SseClient client(causeway.listener(), "/streams/orders", {{"Last-Event-ID", "orders-s1/0/7"}});
  ASSERT_EQ(client.status(), 200) << client.head() << causeway.log();
  ASSERT_TRUE(clients_are(causeway, "order-stream", 1));
  publish("orders-s1",
          "('created.c1', b'{\"total\":12}', None),"
          "('created.c2', b'line one\\nline two', None),"
          "('shipped.c1', b'typed', pika.BasicProperties(type='order.shipped')),"
          "('shipped.c2', b'ce', pika.BasicProperties(headers={'ce_type': 'order.cloud'}))");
  auto first = client.next();
  ASSERT_TRUE(first) << causeway.log();
  EXPECT_EQ(first->id, "");  // no position: EventSource then sends no Last-Event-ID
  EXPECT_EQ(first->type, "orders-s1");
  EXPECT_EQ(first->data, R"({"total":12})");
  auto second = client.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->data, "line one\nline two");
  auto typed = client.next();
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->type, "order.shipped");
  EXPECT_EQ(typed->data, "typed");
  auto cloud = client.next();
  ASSERT_TRUE(cloud);
  EXPECT_EQ(cloud->type, "order.cloud");
  EXPECT_EQ(metric(causeway, "causeway_stream_events_total", {{"route", "order-stream"}}), 4);
  client.close();
  ASSERT_TRUE(clients_are(causeway, "order-stream", 0));
  EXPECT_EQ(metric(causeway, "causeway_stream_disconnects_total", {{"route", "order-stream"}, {"reason", "client_closed"}}), 1);
}

TEST(RabbitStream, ARoutingKeyFromThePathKeepsTheEventsOfOneCustomer) {
  CausewayProcess causeway(rabbit_config(stream_routes("orders-s2")));
  SseClient mine(causeway.listener(), "/streams/orders/c1");
  ASSERT_EQ(mine.status(), 200) << mine.head();
  ASSERT_TRUE(clients_are(causeway, "customer-stream", 1));
  publish("orders-s2",
          "('created.c2', b'not mine', None), ('created.c1', b'mine', None),"
          "('shipped.c1', b'another kind', None), ('created.c1', b'mine too', None)");
  EXPECT_EQ(next_data(mine, 2), (std::vector<std::string>{"mine", "mine too"}));
  EXPECT_FALSE(mine.next(500ms));
}

TEST(RabbitStream, EachClientHasAQueueOfItsOwnThatGoesWhenItLeaves) {
  CausewayProcess causeway(rabbit_config(stream_routes("orders-s3")));
  auto one = std::make_unique<SseClient>(causeway.listener(), "/streams/orders");
  SseClient two(causeway.listener(), "/streams/orders");
  ASSERT_EQ(one->status(), 200);
  ASSERT_EQ(two.status(), 200);
  ASSERT_TRUE(clients_are(causeway, "order-stream", 2));
  EXPECT_EQ(stream_queues().size(), 2u);
  publish("orders-s3", "('created.c1', b'first', None), ('created.c2', b'second', None)");
  for (SseClient* client : {one.get(), &two}) {
    auto first = client->next();
    auto second = client->next();
    ASSERT_TRUE(first && second) << causeway.log();
    EXPECT_EQ(first->data, "first");
    EXPECT_EQ(second->data, "second");
  }
  one.reset();
  EXPECT_TRUE(eventually([] { return stream_queues().size() == 1; }, 10s));
  two.close();
  EXPECT_TRUE(eventually([] { return stream_queues().empty(); }, 10s));
  // The channel they shared serves the next client as it did them.
  SseClient three(causeway.listener(), "/streams/orders");
  ASSERT_EQ(three.status(), 200);
  ASSERT_TRUE(clients_are(causeway, "order-stream", 1));
  publish("orders-s3", "('created.c3', b'third', None)");
  auto third = three.next();
  ASSERT_TRUE(third) << causeway.log();
  EXPECT_EQ(third->data, "third");
}

TEST(RabbitStream, ASlowReadersEventsWaitInItsQueueAtTheBrokerBoundedByItsLength) {
  CausewayProcess causeway(rabbit_config(stream_routes("orders-s4")));
  SseClient slow(causeway.listener(), "/streams/orders", {}, 4096);
  SseClient fast(causeway.listener(), "/streams/orders");
  ASSERT_EQ(slow.status(), 200);
  ASSERT_EQ(fast.status(), 200);
  ASSERT_TRUE(clients_are(causeway, "order-stream", 2));
  const double rss_before = metric(causeway, "process_resident_memory_bytes", {});
  constexpr int kEvents = 20000;  // 20 MB: more than the slow client's queue may hold
  std::atomic<int> fast_got{0};
  std::thread fast_reader([&] {
    while (fast_got < kEvents && fast.next(30s)) ++fast_got;
  });
  // In bursts the fast reader takes before the next: a burst past the queue's length
  // would cost it the oldest too.
  constexpr int kBurst = 2000;
  for (int sent = 0; sent < kEvents; sent += kBurst) {
    pika("ch.exchange_declare('orders-s4', 'topic', durable=True)\n"
         "body = b'v' * 1024\n"
         "for i in range(" + std::to_string(kBurst) + "):\n"
         "  ch.basic_publish('orders-s4', 'created.c1', body)\n"
         "print('ok')");
    ASSERT_TRUE(eventually([&] { return fast_got >= sent + kBurst; }, 30s)) << fast_got;
  }
  fast_reader.join();
  EXPECT_EQ(fast_got, kEvents);
  // The slow client's queue holds what it has not read, the oldest dropped past 10,000
  // (unacked deliveries, at most the prefetch of 16, come on top).
  long waiting = 0;
  EXPECT_TRUE(eventually([&] {
    auto queues = stream_queues();
    waiting = 0;
    for (const auto& [name, messages] : queues) waiting = std::max(waiting, messages);
    return waiting >= 9000;
  }, 20s)) << waiting;
  EXPECT_LE(waiting, 10000 + 16);
  const double grown = (metric(causeway, "process_resident_memory_bytes", {}) - rss_before) / (1024 * 1024);
  std::cout << "resident memory grew by " << grown << " MiB with a stalled client\n";
  EXPECT_LT(grown, 20);
  // Held back, not cut off.
  EXPECT_EQ(metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}), 2);
  EXPECT_EQ(metric(causeway, "causeway_stream_disconnects_total", {{"route", "order-stream"}, {"reason", "slow_reader"}}), 0);
  // Reading again, it gets the newest 10,000 and more.
  int got = 0;
  while (slow.next(3s)) ++got;
  EXPECT_GE(got, 9000);
  EXPECT_LT(got, kEvents);
}

TEST(RabbitStream, ABrokerRestartEndsEachStreamWithReasonBroker) {
  CausewayProcess causeway(rabbit_config(stream_routes("orders-s5")));
  SseClient client(causeway.listener(), "/streams/orders");
  SseClient other(causeway.listener(), "/streams/orders/c1");
  ASSERT_EQ(client.status(), 200);
  ASSERT_EQ(other.status(), 200);
  ASSERT_TRUE(clients_are(causeway, "order-stream", 1));
  ASSERT_TRUE(clients_are(causeway, "customer-stream", 1));
  rabbit_server().stop();
  EXPECT_TRUE(client.closed(30s)) << causeway.log();
  EXPECT_TRUE(other.closed(30s));
  EXPECT_EQ(metric(causeway, "causeway_stream_disconnects_total", {{"route", "order-stream"}, {"reason", "broker"}}), 1);
  EXPECT_EQ(metric(causeway, "causeway_stream_disconnects_total", {{"route", "customer-stream"}, {"reason", "broker"}}), 1);
  EXPECT_EQ(metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}), 0);
  // While the broker is away a new client is told so.
  EXPECT_EQ(http(causeway.listener(), "GET", "/streams/orders").status, 503);
  rabbit_server().start();
  // The client reconnects by itself once Causeway did.
  std::unique_ptr<SseClient> again;
  ASSERT_TRUE(eventually([&] {
    again = std::make_unique<SseClient>(causeway.listener(), "/streams/orders");
    return again->status() == 200;
  }, 30s, 200ms)) << causeway.log();
  ASSERT_TRUE(clients_are(causeway, "order-stream", 1));
  publish("orders-s5", "('created.c1', b'after', None)");
  auto event = again->next();
  ASSERT_TRUE(event) << causeway.log();
  EXPECT_EQ(event->data, "after");
}

TEST(RabbitStream, AThousandClientsShareOneChannel) {
  const std::size_t files = raise_open_files(8192);
  ASSERT_GE(files, 2200u) << "this machine allows " << files << " open files";
  CausewayProcess causeway(rabbit_config(stream_routes("orders-s6")));
  constexpr int kClients = 1000;
  std::vector<std::unique_ptr<SseClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<SseClient>(causeway.listener(), "/streams/orders"));
  for (auto& client : clients) ASSERT_EQ(client->status(30s), 200);
  ASSERT_TRUE(clients_are(causeway, "order-stream", kClients));
  constexpr int kEvents = 10;
  publish("orders-s6", [] {
    std::string messages;
    for (int i = 0; i < kEvents; ++i) messages += "('created.c1', b'event " + std::to_string(i) + "', None),";
    return messages;
  }());
  EXPECT_EQ(clients_with_all(clients, kEvents), kClients);
  // One channel carries all their consumers.
  auto channels = rabbit_server().ctl({"list_channels", "--quiet", "--no-table-headers", "consumer_count"});
  EXPECT_NE(("\n" + channels.output).find("\n1000\n"), std::string::npos) << channels.output;
  for (auto& client : clients) client->close();
  EXPECT_TRUE(clients_are(causeway, "order-stream", 0));
  EXPECT_TRUE(eventually([] { return stream_queues().empty(); }, 20s));
}

TEST(RabbitStream, TheDefaultExchangeCannotBeStreamed) {
  TempDir dir;
  const auto file = dir.write("c.yaml", rabbit_config(
      "  - name: s\n"
      "    from: { listener: public, method: GET, path: /s }\n"
      "    to: { broker: rabbit, exchange: \"\", stream: sse }\n")).string();
  auto result = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("routes[0].to.exchange: a stream binds a queue of its own to the exchange, and the "
                               "default one (\"\") takes no bindings: name one"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace causeway::testing
