// SIGTERM under load: readiness drops, the listener stops taking connections,
// requests in flight finish and are on the topic, the exit is clean. A second
// signal gives up on the drain.
#include <gtest/gtest.h>

#include <csignal>
#include <set>

#include "harness.h"

namespace causeway::testing {
namespace {

TestConfig on(const MockBroker& broker, const std::string& drain_timeout, const std::string& options) {
  TestConfig config;
  config.bootstrap = broker.bootstrap();
  config.broker_options = options;
  config.drain_timeout = drain_timeout;
  return config;
}

// What a client opening a connection now is told: nothing (refused or closed), or a status.
std::optional<int> new_client_answer(const Address& listener) {
  auto connection = HttpConnection::try_connect(listener, 2s);
  if (!connection) return std::nullopt;
  if (!connection->send(HttpRequest{.method = "POST", .path = "/orders/late/events", .body = "{}"})) {
    return std::nullopt;
  }
  auto response = connection->read_response(5s);
  return response ? std::optional<int>(response->status) : std::nullopt;
}

TEST(Shutdown, SigtermDrainsInFlightRequestsAndExitsZero) {
  MockBroker broker;
  broker.create_topic("orders.created", 2);
  CausewayProcess causeway(on(broker, "10s", "{ linger.ms: 1 }"));
  ASSERT_EQ(http(causeway.listener(), "POST", "/orders/warm/events", {}, "{}").status, 202);
  broker.rtt(300);  // every request is held in flight for about 300 ms
  EventLoad load(causeway.listener(), 8);
  ASSERT_TRUE(eventually([&] { return load.count(202) >= 8; }, 10s)) << causeway.log();

  causeway.signal(SIGTERM);
  auto signalled = Clock::now();
  // While the held requests drain, readiness must already be gone.
  int readyz = 0;
  eventually(
      [&] {
        auto connection = HttpConnection::try_connect(causeway.admin(), 1s);
        if (!connection || !connection->send(HttpRequest{.method = "GET", .path = "/readyz"})) return true;
        auto response = connection->read_response(2s);
        readyz = response ? response->status : 0;
        return readyz == 503;
      },
      5s, 5ms);
  EXPECT_EQ(readyz, 503) << "/readyz did not turn 503 during the drain";
  auto late = new_client_answer(causeway.listener());
  EXPECT_TRUE(!late || *late == 503) << "a connection opened after SIGTERM was served: " << *late;

  auto exit_code = causeway.wait_exit(10s);  // the drain timeout
  EXPECT_EQ(exit_code, 0) << causeway.log();
  auto outcomes = load.stop();

  std::set<std::string> acknowledged;
  int answered_while_draining = 0;
  for (const auto& outcome : outcomes) {
    if (outcome.status == 0) continue;  // sent as the connection closed: never acknowledged
    EXPECT_EQ(outcome.status, 202) << outcome.key;
    if (outcome.status != 202) continue;
    acknowledged.insert(outcome.id);
    if (outcome.answered > signalled) ++answered_while_draining;
  }
  EXPECT_GT(answered_while_draining, 0) << "no request was in flight at SIGTERM: the drain was not exercised";

  broker.rtt(0);
  auto messages = TopicReader(broker.bootstrap(), "orders.created").read(acknowledged.size() + 1);
  std::set<std::string> on_topic;
  for (const auto& message : messages) on_topic.insert(message.header("correlation-id").value_or(""));
  for (const auto& id : acknowledged) EXPECT_TRUE(on_topic.contains(id)) << "acknowledged but lost: " << id;
}

TEST(Shutdown, SecondSigtermExitsAtOnceWithoutDraining) {
  MockBroker broker;
  broker.create_topic("orders.created", 2);
  CausewayProcess causeway(on(broker, "60s", "{ linger.ms: 1, message.timeout.ms: 60000 }"));
  broker.rtt(5000);  // requests in flight now take seconds: a long drain
  EventLoad load(causeway.listener(), 2);
  ASSERT_TRUE(eventually(
      [&] {
        return scrape_metrics(causeway.admin()).value("causeway_http_connections", {{"listener", "public"}}) == 2;
      },
      5s))
      << "the requests never reached Causeway";

  causeway.signal(SIGTERM);
  EXPECT_EQ(causeway.wait_exit(500ms), std::nullopt) << "exited without waiting for requests in flight";
  auto second = Clock::now();
  causeway.signal(SIGTERM);
  auto exit_code = causeway.wait_exit(3s);
  ASSERT_TRUE(exit_code) << "still running 3 s after the second SIGTERM";
  EXPECT_EQ(*exit_code, 1) << "README: a second signal exits at once (status 1)";
  EXPECT_LT(Clock::now() - second, 3s);
  load.stop();
}

TEST(Shutdown, IdleKeepAliveConnectionsDoNotHoldUpSigint) {
  TestConfig config;
  config.drain_timeout = "60s";
  CausewayProcess causeway(config);
  HttpConnection used(causeway.listener());
  ASSERT_TRUE(used.send(HttpRequest{.method = "POST", .path = "/orders/c1/events", .body = "{}"}));
  auto response = used.read_response();
  ASSERT_TRUE(response && response->status == 202);
  HttpConnection silent(causeway.listener());  // connected, never sent a byte

  causeway.signal(SIGINT);
  // Idle connections are closed at once; waiting for their 60 s idle timeout would hang deploys.
  EXPECT_EQ(causeway.wait_exit(5s), 0) << causeway.log();
  EXPECT_TRUE(used.closed_by_peer(1s));
  EXPECT_TRUE(silent.closed_by_peer(1s));
}

}  // namespace
}  // namespace causeway::testing
