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

}  // namespace
}  // namespace causeway::testing
