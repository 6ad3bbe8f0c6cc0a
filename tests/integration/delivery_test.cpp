// Kafka -> local service: the HTTP call a message becomes, order per key under
// concurrency, retries and dead letters. Each test checks what the service saw, what
// landed on the topics, and the metrics.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <regex>

#include "harness_delivery.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

const std::regex kTraceparent("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$");
const MetricsPage::Labels kSuccess{{"route", kDeliveryRoute}, {"result", "success"}};
const MetricsPage::Labels kRetry{{"route", kDeliveryRoute}, {"result", "retry"}};
const MetricsPage::Labels kDeadLetter{{"route", kDeliveryRoute}, {"result", "dead_letter"}};
const MetricsPage::Labels kRoute{{"route", kDeliveryRoute}};

double metric_reaches(const Address& admin, const MetricsPage::Labels& labels, double expected,
                      const std::string& name = "causeway_deliveries_total") {
  return metric_until(admin, name, labels, [&](double value) { return value == expected; }, 10s);
}

std::vector<ServiceRequest> with_key(const std::vector<ServiceRequest>& requests, const std::string& key) {
  std::vector<ServiceRequest> found;
  for (const auto& request : requests) {
    if (request.header("x-kafka-key") == key) found.push_back(request);
  }
  return found;
}

std::size_t header_count(const ServiceRequest& request, const std::string& name) {
  return std::count_if(request.headers.begin(), request.headers.end(), [&](const auto& h) { return h.first == name; });
}

TEST(Delivery, EventsReachTheServiceAsCallsWithBodyAndHeaders) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.status = 204}; });
  CausewayProcess causeway(DeliveryConfig{.service_url = service.url()}.yaml());

  struct Sent {
    std::string key, body;
    boost::json::object accepted{};
  };
  std::vector<Sent> sent;
  for (int i = 0; i < 3; ++i) {
    Sent event{"c" + std::to_string(i), R"({"order":)" + std::to_string(i) + "}"};
    auto response = http(causeway.listener(), "POST", "/orders/" + event.key + "/events",
                         {{"Content-Type", "application/json"}}, event.body);
    ASSERT_EQ(response.status, 202) << response.body;
    event.accepted = response.json().as_object();
    sent.push_back(std::move(event));
  }
  ASSERT_TRUE(service.wait_requests(sent.size(), 15s)) << causeway.log();

  auto requests = service.requests();
  for (const auto& event : sent) {
    auto calls = with_key(requests, event.key);
    ASSERT_EQ(calls.size(), 1u) << event.key;
    const auto& call = calls.front();
    EXPECT_EQ(call.method, "POST");
    EXPECT_EQ(call.target, "/orders/" + event.key + "/events");
    EXPECT_EQ(call.body, event.body);
    EXPECT_EQ(call.header("content-type"), "application/json");
    EXPECT_EQ(call.header("correlation-id"), std::string(event.accepted.at("id").as_string()));
    EXPECT_TRUE(std::regex_match(call.header("traceparent").value_or(""), kTraceparent))
        << call.header("traceparent").value_or("(none)");
    EXPECT_EQ(call.header("x-kafka-topic"), "orders.created");
    EXPECT_EQ(call.header("x-kafka-partition"), std::to_string(event.accepted.at("partition").to_number<int>()));
    EXPECT_EQ(call.header("x-kafka-offset"), std::to_string(event.accepted.at("offset").to_number<long>()));
    EXPECT_EQ(call.header("host"), "127.0.0.1:" + std::to_string(service.port()));
  }

  auto admin = causeway.admin();
  EXPECT_EQ(metric_reaches(admin, kSuccess, 3), 3);
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_total", kRetry), 0);
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_total", kDeadLetter), 0);
  EXPECT_EQ(metric_now(admin, "causeway_upstream_requests_total", {{"upstream", "orders"}, {"code", "204"}}), 3);
  std::optional<double> lag;
  EXPECT_TRUE(eventually([&] { return (lag = delivery_lag(admin)) == 0.0; }, 5s))
      << "consumer lag " << (lag ? std::to_string(*lag) : "absent") << " after everything was handled";
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_in_flight", kRoute), 0);
}

// Kafka headers are arbitrary bytes from any producer: only what is valid HTTP goes
// on, framing stays Causeway's, and the provenance headers cannot be forged.
TEST(Delivery, OnlySafeMessageHeadersBecomeHttpHeaders) {
  ScriptedService service;
  CausewayProcess causeway(DeliveryConfig{.service_url = service.url(), .event_route = false}.yaml());
  TopicWriter writer(causeway.broker());
  writer.write("orders.created", "a/b c", "first body",
               {{"X-Upper", "kept"},
                {"x-binary", std::string("\x00\x01\x02", 3)},
                {"x-newline", "one\r\ntwo: injected"},
                {"bad name", "dropped"},
                {"content-length", "3"},
                {"transfer-encoding", "chunked"},
                {"host", "evil.example"},
                {"connection", "close"},
                {"x-kafka-offset", "999"},
                {"x-kafka-topic", "forged"}});
  writer.write("orders.created", "a/b c", "second body");
  ASSERT_TRUE(service.wait_requests(2, 15s)) << causeway.log();

  auto requests = service.requests();
  const auto& first = requests[0];
  EXPECT_EQ(first.target, "/orders/a%2Fb%20c/events") << "the key is one percent-encoded segment";
  EXPECT_EQ(first.body, "first body") << "a message's content-length must not frame the call";
  EXPECT_EQ(first.header("x-upper"), "kept");
  EXPECT_FALSE(first.header("x-binary")) << "binary values stay in Kafka";
  EXPECT_FALSE(first.header("x-newline")) << "a value with CR LF would split the request";
  EXPECT_FALSE(first.header("two"));
  EXPECT_FALSE(first.header("bad name"));
  EXPECT_EQ(first.header("host"), "127.0.0.1:" + std::to_string(service.port()));
  EXPECT_EQ(first.header("x-kafka-key"), "a/b c");
  EXPECT_EQ(header_count(first, "x-kafka-offset"), 1u) << "a message header must not forge the offset";
  EXPECT_EQ(header_count(first, "x-kafka-topic"), 1u) << "a message header must not forge the topic";
  EXPECT_EQ(first.header("x-kafka-topic"), "orders.created");
  EXPECT_EQ(requests[1].body, "second body");
}

// 20 keys x 25 messages through 16 deliveries at once, to a service that takes 0-20 ms.
TEST(Delivery, MessagesOfOneKeyArriveInOrderAndOneAtATimeWhileKeysRunInParallel) {
  constexpr int kKeys = 20, kPerKey = 25, kConcurrency = 16;
  ScriptedService service([](const ServiceRequest& request) {
    thread_local std::mt19937 random(std::hash<std::string>{}(request.body));
    return ServiceAnswer{.delay = Duration(std::uniform_int_distribution<int>(0, 20)(random))};
  });
  CausewayProcess causeway(DeliveryConfig{.service_url = service.url(),
                                          .concurrency = std::to_string(kConcurrency),
                                          .event_route = false}
                               .yaml());
  TopicWriter writer(causeway.broker());
  for (int n = 0; n < kPerKey; ++n) {
    for (int k = 0; k < kKeys; ++k) writer.send("orders.created", "key" + std::to_string(k), std::to_string(n));
  }
  writer.flush();
  ASSERT_TRUE(service.wait_requests(kKeys * kPerKey, 60s))
      << service.request_count() << " of " << kKeys * kPerKey << " delivered\n" << causeway.log();

  auto requests = service.requests();
  for (int k = 0; k < kKeys; ++k) {
    auto calls = with_key(requests, "key" + std::to_string(k));  // in arrival order
    ASSERT_EQ(calls.size(), static_cast<std::size_t>(kPerKey)) << "key" << k;
    for (int n = 0; n < kPerKey; ++n) {
      EXPECT_EQ(calls[n].body, std::to_string(n)) << "key" << k << ": message " << n << " arrived out of order";
      if (n > 0) {
        EXPECT_GE(calls[n].arrived, calls[n - 1].finished)
            << "key" << k << ": message " << n << " arrived before message " << n - 1 << " was answered";
      }
    }
  }
  auto most = max_concurrent(requests);
  EXPECT_GT(most, 1u) << "different keys should be delivered in parallel";
  EXPECT_LE(most, static_cast<std::size_t>(kConcurrency)) << "more calls at once than the route's concurrency";
  std::cout << "[ info     ] most calls at once: " << most << "\n";

  auto admin = causeway.admin();
  EXPECT_EQ(metric_reaches(admin, kSuccess, kKeys * kPerKey), kKeys * kPerKey);
  EXPECT_TRUE(eventually([&] { return delivery_lag(admin) == 0.0; }, 5s));
}

// A service that always fails one key's message: it is retried, then dead-lettered
// with its key, value and headers, while the other keys of its partition flow.
TEST(Delivery, PoisonMessageIsDeadLetteredAfterItsAttemptsWhileOtherKeysFlow) {
  constexpr int kOthers = 30;
  ScriptedService service([](const ServiceRequest& request) {
    if (request.header("x-kafka-key") == "poison") return ServiceAnswer{.status = 500, .body = "boom"};
    return ServiceAnswer{.delay = 5ms};
  });
  DeliveryConfig config{.service_url = service.url(),
                        .retry = "{ attempts: 3, backoff: 100ms, max_backoff: 1s }",
                        .dead_letter = "orders.created.dlq",
                        .event_route = false};
  CausewayProcess causeway(config.yaml());
  TopicWriter writer(causeway.broker());
  // All on one partition: only the key, not the partition, may hold messages back.
  writer.send("orders.created", "poison", "bad", {{"content-type", "text/plain"}, {"x-trace", "t-1"}}, 0);
  for (int i = 0; i < kOthers; ++i) writer.send("orders.created", "k" + std::to_string(i), "good", {}, 0);
  writer.flush();

  auto dead = TopicReader(causeway.broker(), "orders.created.dlq").read(1, 20s);
  ASSERT_EQ(dead.size(), 1u) << causeway.log();
  const auto& letter = dead.front();
  auto poison_calls = with_key(service.requests(), "poison");
  ASSERT_EQ(poison_calls.size(), 3u) << "attempts: 3";
  EXPECT_EQ(letter.key, "poison");
  EXPECT_EQ(letter.value, "bad");
  EXPECT_EQ(letter.header("content-type"), "text/plain");
  EXPECT_EQ(letter.header("x-trace"), "t-1");
  EXPECT_EQ(letter.header("dlt-original-topic"), "orders.created");
  EXPECT_EQ(letter.header("dlt-original-partition"), "0");
  EXPECT_EQ(letter.header("dlt-original-offset"), poison_calls.front().header("x-kafka-offset"));
  EXPECT_EQ(letter.header("dlt-attempts"), "3");
  EXPECT_NE(letter.header("dlt-error").value_or("").find("500"), std::string::npos)
      << letter.header("dlt-error").value_or("(none)");

  ASSERT_TRUE(service.wait_requests(3 + kOthers, 10s));
  auto requests = service.requests();
  std::size_t during_retries = 0;
  for (const auto& request : requests) {
    if (request.header("x-kafka-key") == "poison") continue;
    EXPECT_EQ(request.status, 200);
    if (request.arrived < poison_calls.back().arrived) ++during_retries;
  }
  EXPECT_EQ(requests.size(), 3u + kOthers);
  EXPECT_EQ(during_retries, static_cast<std::size_t>(kOthers))
      << "the other keys of the partition should not wait for the poison message";

  auto admin = causeway.admin();
  EXPECT_EQ(metric_reaches(admin, kDeadLetter, 1), 1);
  EXPECT_EQ(metric_reaches(admin, kSuccess, kOthers), kOthers);
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_total", kRetry), 2) << "two failures were retried, the third dead-lettered";
  EXPECT_EQ(metric_now(admin, "causeway_upstream_requests_total", {{"upstream", "orders"}, {"code", "500"}}), 3);
  EXPECT_TRUE(eventually([&] { return delivery_lag(admin) == 0.0; }, 5s)) << "dead-lettered counts as handled";
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_stuck", kRoute), 0);
}

TEST(Delivery, NonRetryableAnswerIsDeadLetteredAtOnce) {
  ScriptedService service([](const ServiceRequest& request) {
    if (request.header("x-kafka-key") == "invalid") {
      return ServiceAnswer{.status = 422, .body = R"({"error":"no such sku"})"};
    }
    return ServiceAnswer{};
  });
  DeliveryConfig config{.service_url = service.url(), .dead_letter = "orders.created.dlq", .event_route = false};
  CausewayProcess causeway(config.yaml());
  TopicWriter writer(causeway.broker());
  writer.send("orders.created", "invalid", "sku=none");
  writer.send("orders.created", "valid", "sku=A1");
  writer.flush();

  auto dead = TopicReader(causeway.broker(), "orders.created.dlq").read(1, 20s);
  ASSERT_EQ(dead.size(), 1u) << causeway.log();
  EXPECT_EQ(dead.front().key, "invalid");
  EXPECT_EQ(dead.front().value, "sku=none");
  EXPECT_EQ(dead.front().header("dlt-attempts"), "1");
  EXPECT_NE(dead.front().header("dlt-error").value_or("").find("422"), std::string::npos)
      << dead.front().header("dlt-error").value_or("(none)");

  auto admin = causeway.admin();
  EXPECT_EQ(metric_reaches(admin, kSuccess, 1), 1);
  EXPECT_EQ(metric_reaches(admin, kDeadLetter, 1), 1);
  std::this_thread::sleep_for(300ms);  // time for a retry that must not come (the backoff is 50 ms)
  EXPECT_EQ(with_key(service.requests(), "invalid").size(), 1u) << "a 422 is not worth a second call";
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_total", kRetry), 0);
}

// The route's to.timeout bounds each call, not the upstream's: a slower answer is a
// failed attempt, retried, then dead-lettered with the timeout as its error.
TEST(Delivery, TheRoutesTimeoutBoundsEachCall) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.delay = 3s}; });
  DeliveryConfig config{.service_url = service.url(),
                        .upstream_timeout = "10s",
                        .route_timeout = "200ms",
                        .retry = "{ attempts: 2, backoff: 50ms }",
                        .dead_letter = "orders.created.dlq",
                        .event_route = false};
  CausewayProcess causeway(config.yaml());
  TopicWriter writer(causeway.broker());
  writer.write("orders.created", "slow", "sku=A1");

  auto dead = TopicReader(causeway.broker(), "orders.created.dlq").read(1, 20s);
  ASSERT_EQ(dead.size(), 1u) << causeway.log();
  EXPECT_EQ(dead.front().header("dlt-attempts"), "2");
  EXPECT_NE(dead.front().header("dlt-error").value_or("").find("200ms"), std::string::npos)
      << dead.front().header("dlt-error").value_or("(none)");
  EXPECT_EQ(with_key(service.requests(), "slow").size(), 2u);
}

// A call that ends with the connection closed and no answer is one failed attempt:
// dlt-attempts and the service's count of calls should agree.
TEST(Delivery, AServiceThatDropsTheConnectionGetsOneCallPerAttempt) {
  ScriptedService service([](const ServiceRequest& request) {
    if (request.header("x-kafka-key") == "crash") return ServiceAnswer{.close = true};
    return ServiceAnswer{};
  });
  DeliveryConfig config{.service_url = service.url(),
                        .retry = "{ attempts: 3, backoff: 50ms, max_backoff: 200ms }",
                        .dead_letter = "orders.created.dlq",
                        .event_route = false};
  CausewayProcess causeway(config.yaml());
  TopicWriter writer(causeway.broker());
  // Keep-alive connections in the pool first, as in any running system.
  for (int i = 0; i < 8; ++i) writer.send("orders.created", "warm" + std::to_string(i), "w");
  writer.flush();
  ASSERT_TRUE(service.wait_requests(8, 15s)) << causeway.log();
  writer.write("orders.created", "crash", "c");

  auto dead = TopicReader(causeway.broker(), "orders.created.dlq").read(1, 20s);
  ASSERT_EQ(dead.size(), 1u) << causeway.log();
  auto calls = with_key(service.requests(), "crash");
  EXPECT_EQ(dead.front().header("dlt-attempts"), "3");
  EXPECT_EQ(calls.size(), 3u) << "the service got " << calls.size() << " calls for 3 attempts (dlt-error: "
                              << dead.front().header("dlt-error").value_or("") << ")";
}

}  // namespace
}  // namespace causeway::testing
