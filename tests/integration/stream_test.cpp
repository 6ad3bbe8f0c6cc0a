// Stream routes (stream: sse) end to end: the causeway binary with its embedded broker,
// events posted through an event route or written by a plain producer, and clients
// that read the text/event-stream on raw sockets, as curl -N or EventSource would.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <iostream>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_sse.h"

namespace causeway::testing {
namespace {

std::string stream_routes(const std::string& options = "") {
  return "  - name: order-stream\n"
         "    from: { listener: public, method: GET, path: /streams/orders }\n"
         "    to: { broker: events, topic: orders.created, stream: sse" + options + " }\n"
         "  - name: customer-stream\n"
         "    from: { listener: public, method: GET, path: \"/streams/orders/{customer}\" }\n"
         "    to: { broker: events, topic: orders.created, key: \"{customer}\", stream: sse" + options + " }\n";
}

TestConfig stream_config(const std::string& options = "") {
  TestConfig config;
  config.extra_routes = stream_routes(options);
  return config;
}

double metric(const CausewayProcess& causeway, const std::string& name, const MetricsPage::Labels& labels) {
  return scrape_metrics(causeway.admin()).value(name, labels).value_or(-1);
}

int post_order(const CausewayProcess& causeway, const std::string& customer, const std::string& body) {
  return http(causeway.listener(), "POST", "/orders/" + customer + "/events", {}, body).status;
}

TEST(Stream, EventsCarryTheirPositionTheTopicAndEachLineOfTheValue) {
  CausewayProcess causeway(stream_config());
  SseClient client(causeway.listener(), "/streams/orders");
  ASSERT_EQ(client.status(), 200) << client.head();
  std::string head = client.head();
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  EXPECT_NE(head.find("content-type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("cache-control: no-cache"), std::string::npos) << head;
  EXPECT_NE(head.find("transfer-encoding: chunked"), std::string::npos) << head;

  ASSERT_EQ(post_order(causeway, "c1", R"({"total":12})"), 202);
  ASSERT_EQ(post_order(causeway, "c1", "line one\nline two\r\nline three"), 202);
  auto first = client.next();
  ASSERT_TRUE(first) << causeway.log();
  EXPECT_TRUE(std::regex_match(first->id, std::regex(R"(orders\.created/\d+/0(,\d+/-?\d+)*)"))) << first->id;
  EXPECT_EQ(first->type, "orders.created");
  EXPECT_EQ(first->data, R"({"total":12})");
  auto second = client.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->data, "line one\nline two\nline three");
  EXPECT_TRUE(std::regex_match(second->id, std::regex(R"(orders\.created/\d+/1(,\d+/-?\d+)*)"))) << second->id;

  // A producer other than Causeway: its `type` header names the event.
  TopicWriter writer(causeway.broker());
  writer.write("orders.created", "c9", "typed", {{"type", "order.shipped"}});
  auto typed = client.next();
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->type, "order.shipped");
  EXPECT_EQ(typed->data, "typed");

  EXPECT_EQ(metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}), 1);
  EXPECT_EQ(metric(causeway, "causeway_stream_events_total", {{"route", "order-stream"}}), 3);
  client.close();
  ASSERT_TRUE(eventually([&] { return metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}) == 0; }, 10s));
  EXPECT_EQ(metric(causeway, "causeway_stream_disconnects_total", {{"route", "order-stream"}, {"reason", "client_closed"}}), 1);
}

TEST(Stream, LastEventIdResumesRightAfterItThroughWhatWasMissedIntoWhatComesLive) {
  CausewayProcess causeway(stream_config());
  std::string resume_from;
  {
    SseClient client(causeway.listener(), "/streams/orders");
    ASSERT_EQ(client.status(), 200);
    for (int i = 1; i <= 3; ++i) ASSERT_EQ(post_order(causeway, "c1", "event " + std::to_string(i)), 202);
    for (int i = 1; i <= 3; ++i) {
      auto event = client.next();
      ASSERT_TRUE(event) << i;
      EXPECT_EQ(event->data, "event " + std::to_string(i));
      if (i == 2) resume_from = event->id;
    }
  }
  // Missed while away; a key of its own puts it on another partition or the same one.
  for (int i = 4; i <= 5; ++i) ASSERT_EQ(post_order(causeway, "c1", "event " + std::to_string(i)), 202);

  SseClient resumed(causeway.listener(), "/streams/orders", {{"Last-Event-ID", resume_from}});
  ASSERT_EQ(resumed.status(), 200) << resumed.head();
  for (int i = 3; i <= 5; ++i) {
    auto event = resumed.next();
    ASSERT_TRUE(event) << i << "\n" << causeway.log();
    EXPECT_EQ(event->data, "event " + std::to_string(i));
  }
  // Then live, with nothing twice and nothing skipped at the hand-over.
  for (int i = 6; i <= 8; ++i) ASSERT_EQ(post_order(causeway, "c1", "event " + std::to_string(i)), 202);
  for (int i = 6; i <= 8; ++i) {
    auto event = resumed.next();
    ASSERT_TRUE(event) << i;
    EXPECT_EQ(event->data, "event " + std::to_string(i));
  }
  EXPECT_FALSE(resumed.next(500ms));
}

TEST(Stream, APathVariableKeepsTheEventsOfOneKey) {
  CausewayProcess causeway(stream_config());
  SseClient mine(causeway.listener(), "/streams/orders/c1");
  ASSERT_EQ(mine.status(), 200);
  ASSERT_EQ(post_order(causeway, "c2", "not mine"), 202);
  ASSERT_EQ(post_order(causeway, "c1", "mine"), 202);
  ASSERT_EQ(post_order(causeway, "c3", "not mine either"), 202);
  ASSERT_EQ(post_order(causeway, "c1", "mine too"), 202);
  EXPECT_EQ(next_data(mine, 2), (std::vector<std::string>{"mine", "mine too"}));
  EXPECT_FALSE(mine.next(500ms));
}

TEST(Stream, AnIdleStreamGetsHeartbeatComments) {
  CausewayProcess causeway(stream_config(", heartbeat: 200ms"));
  SseClient client(causeway.listener(), "/streams/orders");
  ASSERT_EQ(client.status(), 200);
  EXPECT_TRUE(client.comment(3s));
  EXPECT_TRUE(client.comment(3s));
}

TEST(Stream, AResumePositionOfAnotherTopicOrMalformedIsA400) {
  CausewayProcess causeway(stream_config());
  for (const std::string id : {"payments/0/3", "orders.created/x/1", "orders.created/0", "orders.created/"}) {
    auto response = http(causeway.listener(), "GET", "/streams/orders", {{"Last-Event-ID", id}});
    EXPECT_EQ(response.status, 400) << id << ": " << response.body;
    EXPECT_NE(response.body.find("Last-Event-ID"), std::string::npos) << response.body;
  }
  // Only GET is a stream.
  EXPECT_EQ(http(causeway.listener(), "POST", "/streams/orders", {}, "x").status, 405);
}

TEST(Stream, AReaderSlowerThanItsEventsIsCutOffAtItsBufferAndCounted) {
  CausewayProcess causeway(stream_config(", client_buffer: 256KiB"));
  SseClient slow(causeway.listener(), "/streams/orders", {}, 4096);
  ASSERT_EQ(slow.status(), 200);
  SseClient fast(causeway.listener(), "/streams/orders");
  ASSERT_EQ(fast.status(), 200);
  ASSERT_TRUE(eventually([&] { return metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}) == 2; }, 5s));
  TopicWriter writer(causeway.broker());
  // 4 MB: more than the stream's buffer and its socket's hold, less than the embedded
  // broker keeps (it drops a partition's oldest messages past 5 MB).
  const std::string value(1024, 'v');
  constexpr int kEvents = 4000;
  std::atomic<int> fast_got{0};
  std::thread fast_reader([&] {
    while (fast_got < kEvents && fast.next(20s)) ++fast_got;
  });
  for (int i = 0; i < kEvents; ++i) {
    writer.send("orders.created", "k", value);
    if (i % 50 == 49) writer.flush();  // bursts of 50 KB, which a reader that keeps up absorbs
  }
  writer.flush();
  const bool cut = eventually([&] {
    return metric(causeway, "causeway_stream_disconnects_total", {{"route", "order-stream"}, {"reason", "slow_reader"}}) == 1;
  }, 30s);
  fast_reader.join();
  ASSERT_TRUE(cut) << "the fast reader got " << fast_got << ", events handed out: "
                   << metric(causeway, "causeway_stream_events_total", {{"route", "order-stream"}}) << "\n"
                   << causeway.log();
  // The fast reader got everything; the slow one, once it reads, finds its stream cut short.
  EXPECT_EQ(fast_got, kEvents) << causeway.log();
  EXPECT_TRUE(slow.closed(30s));
  EXPECT_FALSE(slow.ended_cleanly());
  EXPECT_EQ(metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}), 1);
}

TEST(Stream, AThousandClientsEachGetEveryEvent) {
  const std::size_t files = raise_open_files(8192);
  ASSERT_GE(files, 2200u) << "this machine allows " << files << " open files";
  CausewayProcess causeway(stream_config());
  constexpr int kClients = 1000;
  std::vector<std::unique_ptr<SseClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<SseClient>(causeway.listener(), "/streams/orders"));
  for (auto& client : clients) ASSERT_EQ(client->status(), 200);
  ASSERT_TRUE(eventually([&] { return metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}) == kClients; }, 20s));
  constexpr int kEvents = 20;
  const double cpu_before = metric(causeway, "process_cpu_seconds_total", {});
  for (int i = 0; i < kEvents; ++i) ASSERT_EQ(post_order(causeway, "c" + std::to_string(i), "event " + std::to_string(i)), 202);
  EXPECT_EQ(clients_with_all(clients, kEvents), kClients);
  // Printed, not asserted: the fan-out's cost (the 20 POSTs and scrapes included).
  const double cpu = metric(causeway, "process_cpu_seconds_total", {}) - cpu_before;
  std::cout << "fan-out: " << cpu * 1e6 / (kEvents * kClients) << " us of Causeway CPU per event per client\n";
  EXPECT_EQ(metric(causeway, "causeway_stream_events_total", {{"route", "order-stream"}}), kClients * kEvents);
  // DESIGN.md's bound for 10k connections is 300 MB; a thousand streams stay far below it.
  const double rss = metric(causeway, "process_resident_memory_bytes", {}) / (1024 * 1024);
  std::cout << "resident memory with " << kClients << " stream clients: " << rss << " MiB\n";
  EXPECT_LT(rss, 300);
  for (auto& client : clients) client->close();
  EXPECT_TRUE(eventually([&] { return metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}) == 0; }, 20s));
}

TEST(Stream, TheRoutesConcurrencyLimitCapsItsOpenStreamsUntilOneEnds) {
  TestConfig config;
  config.extra_routes = stream_routes() + "    limits: { concurrency: 2 }\n";
  CausewayProcess causeway(config);
  auto first = std::make_unique<SseClient>(causeway.listener(), "/streams/orders/c1");
  SseClient second(causeway.listener(), "/streams/orders/c2");
  ASSERT_EQ(first->status(), 200);
  ASSERT_EQ(second.status(), 200);
  auto refused = http(causeway.listener(), "GET", "/streams/orders/c3");
  EXPECT_EQ(refused.status, 429) << refused.body;
  first->close();
  ASSERT_TRUE(eventually([&] { return metric(causeway, "causeway_stream_clients", {{"route", "customer-stream"}}) == 1; }, 10s));
  SseClient third(causeway.listener(), "/streams/orders/c3");
  EXPECT_EQ(third.status(), 200);
}

TEST(Stream, SigtermEndsEachStreamWithItsLastChunk) {
  auto config = stream_config();
  config.drain_timeout = "5s";
  CausewayProcess causeway(config);
  SseClient client(causeway.listener(), "/streams/orders");
  ASSERT_EQ(client.status(), 200);
  ASSERT_TRUE(eventually([&] { return metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}) == 1; }, 5s));
  causeway.signal(SIGTERM);
  EXPECT_TRUE(client.closed(10s)) << causeway.log();
  EXPECT_TRUE(client.ended_cleanly());
  EXPECT_EQ(causeway.wait_exit(10s), 0) << causeway.log();
}

TEST(Stream, ABrokerThatCannotBeReachedIsA503NamingTheTopic) {
  MockBroker broker;
  broker.down();
  TestConfig config = stream_config();
  config.bootstrap = broker.bootstrap();
  CausewayProcess causeway(config);
  for (int i = 0; i < 2; ++i) {
    auto response = http(causeway.listener(), "GET", "/streams/orders", {}, {}, 15s);
    EXPECT_EQ(response.status, 503) << response.body;
    EXPECT_NE(response.body.find("topic orders.created cannot be read"), std::string::npos) << response.body;
  }
  EXPECT_EQ(metric(causeway, "causeway_stream_clients", {{"route", "order-stream"}}), -1);  // nobody ever streamed
}

TEST(Stream, ConfigMistakesAreNamedWhereTheyAre) {
  TempDir dir;
  const std::string head =
      "brokers:\n  events: { bootstrap: embedded }\nlisteners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\nroutes:\n";
  struct Case {
    std::string route;
    std::string expected;
  };
  const std::vector<Case> cases{
      {"  - name: s\n    from: { listener: public, method: POST, path: /s }\n    to: { broker: events, topic: t, stream: sse }\n",
       ":8:37: routes[0].to.stream: a stream route answers GET; the route's method is POST"},
      {"  - name: s\n    from: { listener: public, method: GET, path: /s }\n    to: { broker: events, topic: t, stream: websocket }\n",
       ":8:45: routes[0].to.stream: expected one of: sse"},
      {"  - name: s\n    from: { listener: public, method: GET, path: /s }\n    to: { broker: events, topic: t, heartbeat: 5s }\n",
       ":8:37: routes[0].to.heartbeat: 'heartbeat' needs 'stream: sse'"},
  };
  for (const auto& [route, expected] : cases) {
    const auto file = dir.write("c.yaml", head + route).string();
    auto result = run_command({CAUSEWAY_BIN, "validate", file});
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find(file + expected), std::string::npos) << result.output;
  }
}

}  // namespace
}  // namespace causeway::testing
