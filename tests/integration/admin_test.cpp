// The admin listener: health, readiness, effective config, live route counters, metrics.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"

namespace causeway::testing {
namespace {

namespace json = boost::json;

TEST(Admin, HealthzAndReadyzAnswer200OnceReady) {
  CausewayProcess causeway;
  auto health = http(causeway.admin(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  // Readiness also asks the broker, so give it a moment.
  int ready_status = 0;
  EXPECT_TRUE(eventually([&] { return (ready_status = http(causeway.admin(), "GET", "/readyz").status) == 200; }, 5s))
      << "/readyz last answered " << ready_status;
}

// The first message must not wait for a group join that a probe already called ready:
// /readyz is 503, naming the route, until the delivery route has its first assignment.
TEST(Admin, ReadyzWaitsUntilEveryDeliveryRouteReads) {
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "brokers:\n  events: { bootstrap: embedded, options: { linger.ms: 1 } }\n"
      "upstreams:\n  svc: { url: \"http://127.0.0.1:9\" }\n"
      "routes:\n"
      "  - name: handle\n"
      "    from: { broker: events, topic: orders, group: handlers }\n"
      "    to: { upstream: svc, path: /orders }\n");
  std::string first_refusal;
  bool ready = eventually(
      [&] {
        auto answer = http(causeway.admin(), "GET", "/readyz");
        if (answer.status != 200 && first_refusal.empty()) first_refusal = answer.body;
        return answer.status == 200;
      },
      20s, 10ms);
  ASSERT_TRUE(ready) << causeway.log();
  EXPECT_NE(first_refusal.find("route 'handle'"), std::string::npos)
      << "/readyz said 200 before the route read: " << first_refusal;
  // Logged just before the flag readiness reads; the pipe may take a moment.
  EXPECT_TRUE(causeway.wait_for_log("route 'handle': assigned", 2s)) << causeway.log();
  EXPECT_TRUE(causeway.wait_for_log("started, not ready: route 'handle'", 2s)) << causeway.log();
  EXPECT_TRUE(causeway.wait_for_log(" info ready($|\n)", 5s)) << "the log says when it turns ready\n" << causeway.log();
}

TEST(Admin, ConfigShowsTheEmbeddedBrokerAddressAndRedactsSecrets) {
  TestConfig config;
  // librdkafka accepts sasl.password whatever the security.protocol, so this config starts.
  config.broker_options = "{ linger.ms: 1, sasl.password: hunter2 }";
  CausewayProcess causeway(config);

  auto response = http(causeway.admin(), "GET", "/config");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.body.find("hunter2"), std::string::npos) << response.body;
  auto broker = response.json().at("brokers").at("events");
  EXPECT_EQ(broker.at("address"), json::value(causeway.broker()));
  EXPECT_NE(broker.at("options").at("sasl.password"), json::value("hunter2"));
  EXPECT_EQ(broker.at("options").at("linger.ms"), json::value("1"));
}

TEST(Admin, RoutesShowPerRouteCounts) {
  CausewayProcess causeway;
  for (int i = 0; i < 2; ++i) ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c1/events", {}, "{}").status, 202);
  ASSERT_EQ(http(causeway.listener(), "GET", "/orders/c1/events").status, 405);

  auto response = http(causeway.admin(), "GET", "/routes");
  ASSERT_EQ(response.status, 200);
  auto body = response.json();
  const json::object* route = nullptr;
  for (const auto& item : body.at("routes").as_array()) {
    if (item.at("name") == json::value("order-created")) route = &item.as_object();
  }
  ASSERT_TRUE(route) << response.body;
  EXPECT_EQ(route->at("requests").to_number<int>(), 2) << response.body;
  EXPECT_EQ(route->at("responses").at("202").to_number<int>(), 2) << response.body;
}

TEST(Admin, MetricsHaveTheDocumentedFamilies) {
  CausewayProcess causeway;
  ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c1/events", {}, "{}").status, 202);

  auto page = http(causeway.admin(), "GET", "/metrics");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type").value_or("").rfind("text/plain", 0), 0u);
  MetricsPage metrics(page.body);
  EXPECT_EQ(metrics.value("causeway_requests_total", {{"route", "order-created"}, {"code", "202"}}), 1);
  EXPECT_EQ(metrics.value("causeway_request_duration_seconds_bucket", {{"route", "order-created"}, {"le", "+Inf"}}), 1);
  EXPECT_EQ(
      metrics.value("causeway_produced_total", {{"broker", "events"}, {"topic", "orders.created"}, {"result", "ok"}}),
      1);
  EXPECT_EQ(metrics.value("causeway_produce_duration_seconds_count", {{"broker", "events"}}), 1);
  EXPECT_EQ(metrics.value("causeway_build_info"), 1);
  EXPECT_GT(metrics.value("process_resident_memory_bytes").value_or(0), 0);
  for (const auto* family :
       {"causeway_requests_total", "causeway_request_duration_seconds", "causeway_produced_total",
        "causeway_produce_duration_seconds", "causeway_build_info", "process_resident_memory_bytes"}) {
    EXPECT_NE(page.body.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  }
}

TEST(Admin, UnknownAdminPathIs404AndWritesAre405) {
  CausewayProcess causeway;
  EXPECT_EQ(http(causeway.admin(), "GET", "/nowhere").status, 404);
  auto response = http(causeway.admin(), "DELETE", "/metrics");
  EXPECT_EQ(response.status, 405);
  EXPECT_TRUE(response.header("allow")) << "405 without Allow";
}

// A browser page on the same host (or a name rebound to 127.0.0.1) must not be able to
// change state: POST /reload needs a loopback Host and, when an Origin is sent, the admin
// listener's own origin. Tools that send no Origin (curl, scripts) work as before.
TEST(Admin, StateChangesAreRefusedFromOtherOriginsAndHosts) {
  CausewayProcess causeway;
  const auto admin = causeway.admin();
  const std::string port = std::to_string(admin.port);
  const std::string other_port = std::to_string(admin.port == 65535 ? 1 : admin.port + 1);
  auto reload = [&](const Headers& headers) { return http(admin, "POST", "/reload", headers, {}, 30s); };

  for (const Headers& refused : std::vector<Headers>{
           {{"Host", admin.text()}, {"Origin", "http://evil.example"}},
           {{"Host", admin.text()}, {"Origin", "http://127.0.0.1:" + other_port}},  // another local service's page
           {{"Host", admin.text()}, {"Origin", "https://127.0.0.1:" + port}},
           {{"Host", admin.text()}, {"Origin", "null"}},
           {{"Host", "evil.example:" + port}},                                // DNS rebinding
           {{"Host", "causeway.test"}},
           {{"Host", "127.0.0.1.evil.example:" + port}},
       }) {
    auto answer = reload(refused);
    EXPECT_EQ(answer.status, 403) << refused.back().first << ": " << refused.back().second << " -> " << answer.body;
    EXPECT_EQ(answer.header("content-type"), "application/json");
    EXPECT_EQ(answer.error(), "forbidden") << answer.body;
  }
  EXPECT_EQ(scrape_metrics(admin).value("causeway_config_reloads_total").value_or(0), 0) << "a refused reload ran";
  EXPECT_EQ(scrape_metrics(admin).value("causeway_admin_requests_refused_total").value_or(0), 7);

  for (const Headers& allowed : std::vector<Headers>{
           {{"Host", admin.text()}},
           {{"Host", "localhost:" + port}, {"Origin", "http://localhost:" + port}},
           {{"Host", "127.0.0.1:" + port}, {"Origin", "http://127.0.0.1:" + port}},
           {{"Host", "[::1]:" + port}, {"Origin", "http://[::1]:" + port}},
           {{"Host", "127.8.9.10"}},
       }) {
    auto answer = reload(allowed);
    EXPECT_EQ(answer.status, 200) << allowed.front().second << " -> " << answer.body;
  }
  // Reading is as it was.
  EXPECT_EQ(http(admin, "GET", "/config", {{"Origin", "http://evil.example"}}).status, 200);
}

}  // namespace
}  // namespace causeway::testing
