// What /dashboard.json and /routes make of the samples: HTTP and delivery routes counted,
// errors, latency buckets, lag, stream clients, broker states and breakers, the last reload.
#include "admin/dashboard_view.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "admin/config_view.h"
#include "config/config_loader.h"

namespace causeway::admin {
namespace {

namespace json = boost::json;

const char* kConfig = R"(
listeners:
  public: { protocol: http, listen: 127.0.0.1:0 }
brokers:
  events: { type: kafka, bootstrap: "k1:9092" }
upstreams:
  service: { url: "http://127.0.0.1:1" }
routes:
  - name: order-created
    from: { listener: public, method: POST, path: "/orders" }
    to:   { broker: events, topic: orders.created }
  - name: order-delivery
    from: { broker: events, topic: orders.created, group: g }
    to:   { upstream: service, path: /orders }
  - name: order-stream
    from: { listener: public, method: GET, path: "/streams/orders" }
    to:   { broker: events, topic: orders.created, stream: sse }
  - name: quiet-stream
    from: { listener: public, method: GET, path: "/streams/quiet" }
    to:   { broker: events, topic: orders.created, stream: sse }
)";

std::vector<Sample> samples() {
  return parse_exposition(
      "causeway_requests_total{route=\"order-created\",code=\"202\"} 7\n"
      "causeway_requests_total{route=\"order-created\",code=\"503\"} 1\n"
      "causeway_request_duration_seconds_bucket{route=\"order-created\",le=\"0.001\"} 6\n"
      "causeway_request_duration_seconds_bucket{route=\"order-created\",le=\"+Inf\"} 8\n"
      "causeway_deliveries_total{route=\"order-delivery\",result=\"success\"} 4\n"
      "causeway_deliveries_total{route=\"order-delivery\",result=\"retry\"} 1\n"
      "causeway_consumer_lag{route=\"order-delivery\",partition=\"0\"} 3\n"
      "causeway_delivery_duration_seconds_bucket{route=\"order-delivery\",le=\"0.005\"} 4\n"
      "causeway_delivery_duration_seconds_bucket{route=\"order-delivery\",le=\"+Inf\"} 5\n"
      "causeway_stream_clients{route=\"order-stream\"} 2\n"
      "causeway_broker_refused_total{broker=\"events\"} 9\n"
      "causeway_replies_pending 2\n"
      "causeway_callbacks_pending 4\n");
}

const json::object& route_named(const json::value& body, const std::string& name) {
  for (const auto& route : body.at("routes").as_array()) {
    if (route.at("name") == json::value(name)) return route.as_object();
  }
  throw std::runtime_error("no route " + name);
}

TEST(DashboardView, CountsRoutesLagBrokersAndTheLastReload) {
  const auto config = config::parse_config(kConfig, "c.yaml");
  RuntimeFacts facts;
  facts.version = "1.2.3";
  facts.broker_addresses["events"] = "k1:9092";
  facts.broker_states["events"] = "broker 'events' is unreachable";
  facts.broker_breakers["events"] = "open";
  facts.last_reload = {"failure", "POST /reload: c.yaml:3:1: bad", "2026-01-01T00:00:00Z"};

  const auto body = json::parse(dashboard_json(config, facts, samples(), std::string("broker 'events' is unreachable")));

  EXPECT_EQ(body.at("ready"), json::value(false));
  EXPECT_EQ(body.at("pending_replies").to_number<int>(), 2);
  EXPECT_EQ(body.at("pending_callbacks").to_number<int>(), 4);
  EXPECT_EQ(body.at("last_reload").at("result"), json::value("failure"));
  const auto& http = route_named(body, "order-created");
  EXPECT_EQ(http.at("mode"), json::value("event"));
  EXPECT_EQ(http.at("requests").to_number<int>(), 8);
  EXPECT_EQ(http.at("errors").to_number<int>(), 1);
  ASSERT_EQ(http.at("buckets").as_array().size(), 2u);
  EXPECT_TRUE(http.at("buckets").as_array()[1].as_array()[0].is_null());  // +Inf
  const auto& delivery = route_named(body, "order-delivery");
  EXPECT_EQ(delivery.at("requests").to_number<int>(), 5);
  EXPECT_EQ(delivery.at("errors").to_number<int>(), 1);
  EXPECT_EQ(delivery.at("lag").as_array()[0].at("partition"), json::value("0"));
  EXPECT_EQ(delivery.at("lag").as_array()[0].at("messages").to_number<int>(), 3);
  // A delivery route's latency is its attempts' durations.
  const auto& delivery_buckets = delivery.at("buckets").as_array();
  ASSERT_EQ(delivery_buckets.size(), 2u);
  EXPECT_EQ(delivery_buckets[0].as_array()[0].to_number<double>(), 0.005);
  EXPECT_EQ(delivery_buckets[0].as_array()[1].to_number<int>(), 4);
  EXPECT_TRUE(delivery_buckets[1].as_array()[0].is_null());
  // Stream clients: a number on stream routes (0 before the first one), null on the others.
  EXPECT_EQ(route_named(body, "order-stream").at("stream_clients").to_number<int>(), 2);
  EXPECT_EQ(route_named(body, "quiet-stream").at("stream_clients").to_number<int>(), 0);
  EXPECT_TRUE(delivery.at("stream_clients").is_null());
  EXPECT_TRUE(http.at("stream_clients").is_null());
  const auto& broker = body.at("brokers").as_array()[0];
  EXPECT_EQ(broker.at("address"), json::value("k1:9092"));
  EXPECT_EQ(broker.at("state"), json::value("broker 'events' is unreachable"));
  EXPECT_EQ(broker.at("breaker"), json::value("open"));
  EXPECT_EQ(broker.at("refused").to_number<int>(), 9);
}

// Before the runtime said anything about a broker: unknown, nothing refused.
TEST(DashboardView, ABrokerWithoutFactsIsUnknown) {
  const auto config = config::parse_config(kConfig, "c.yaml");
  const auto body = json::parse(dashboard_json(config, RuntimeFacts{}, {}, std::nullopt));
  const auto& broker = body.at("brokers").as_array()[0];
  EXPECT_EQ(broker.at("state"), json::value("unknown"));
  EXPECT_EQ(broker.at("breaker"), json::value("unknown"));
  EXPECT_EQ(broker.at("refused").to_number<int>(), 0);
}

TEST(RoutesView, CountsDeliveryRoutesByResult) {
  const auto config = config::parse_config(kConfig, "c.yaml");
  const auto body = json::parse(routes_json(config, samples()));
  const auto& delivery = route_named(body, "order-delivery");
  EXPECT_EQ(delivery.at("requests").to_number<int>(), 5);
  EXPECT_EQ(delivery.at("responses").at("success").to_number<int>(), 4);
  EXPECT_EQ(delivery.at("responses").at("retry").to_number<int>(), 1);
  EXPECT_EQ(route_named(body, "order-created").at("responses").at("202").to_number<int>(), 7);
}

}  // namespace
}  // namespace causeway::admin
