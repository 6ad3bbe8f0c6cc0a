// The two-sidecar loop: client -> Causeway A (HTTP -> Kafka request, waits for the
// reply) -> Kafka -> Causeway B (delivery) -> a real HTTP service -> B publishes the
// answer as the reply -> A answers the client.
#include <gtest/gtest.h>

#include <mutex>

#include "harness_delivery.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

// A: POST /quotes -> quotes.requests, waits up to 10 s on quotes.replies. Its
// embedded broker is the one B reads.
std::string caller_side_yaml() {
  return R"(admin: { listen: 127.0.0.1:0 }
listeners:
  public: { protocol: http, listen: 127.0.0.1:0 }
brokers:
  events:
    bootstrap: embedded
    options: { linger.ms: 1 }
routes:
  - name: quote
    from: { listener: public, method: POST, path: /quotes }
    to: { broker: events, topic: quotes.requests, reply: quotes.replies, timeout: 10s }
)";
}

// B: quotes.requests -> POST /quotes on the service, replies published for A. The
// mock broker holds every fetch for its whole fetch.wait.max.ms even when data comes;
// Causeway shortens it for its own embedded broker only, and to B this is a remote one.
std::string service_side_yaml(const CausewayProcess& caller_side, const ScriptedService& service) {
  return DeliveryConfig{.service_url = service.url(),
                        .bootstrap = caller_side.broker(),
                        .broker_options = "{ linger.ms: 1, fetch.wait.max.ms: 5 }",
                        .topic = "quotes.requests",
                        .group = "quote-service",
                        .path = "/quotes",
                        .retry = "{ attempts: 2, backoff: 50ms, max_backoff: 200ms }",
                        .dead_letter = "quotes.requests.dlq",
                        .event_route = false}
      .yaml();
}

TEST(TwoSidecars, TheCallerGetsTheServiceAnswerOrA502WhenDeliveryFinallyFails) {
  ScriptedService service([](const ServiceRequest& request) {
    if (request.body == "fail") return ServiceAnswer{.status = 500, .body = "nope"};
    return ServiceAnswer{.status = 201, .body = "quote for " + request.body, .headers = {{"Content-Type", "text/plain"}}};
  });
  CausewayProcess a(caller_side_yaml());
  CausewayProcess b(service_side_yaml(a, service));
  ASSERT_TRUE(wait_assigned(b)) << b.log();

  auto answer = http(a.listener(), "POST", "/quotes", {{"Content-Type", "application/json"}}, R"({"sku":"A1"})", 15s);
  EXPECT_EQ(answer.status, 201) << answer.body;
  EXPECT_EQ(answer.body, R"(quote for {"sku":"A1"})");
  EXPECT_EQ(answer.header("content-type"), "text/plain");
  ASSERT_EQ(service.request_count(), 1u);
  auto request = service.requests().front();
  EXPECT_EQ(request.header("reply-to"), "quotes.replies");
  EXPECT_TRUE(request.header("correlation-id")) << "the service sees the id its answer is matched by";
  EXPECT_EQ(request.header("content-type"), "application/json");

  const auto sent = Clock::now();
  auto failed = http(a.listener(), "POST", "/quotes", {}, "fail", 15s);
  const auto waited = std::chrono::duration_cast<Duration>(Clock::now() - sent);
  EXPECT_EQ(failed.status, 502) << failed.body;
  EXPECT_LT(waited, 5s) << "the failure reply should come well before A's 10 s timeout";
  EXPECT_EQ(service.request_count(), 3u) << "attempts: 2";

  auto dead = TopicReader(a.broker(), "quotes.requests.dlq").read(1, 10s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead.front().value, "fail");
  EXPECT_EQ(dead.front().header("dlt-attempts"), "2");
  auto admin = b.admin();
  EXPECT_EQ(metric_until(admin, "causeway_delivery_replies_total", {{"route", kDeliveryRoute}},
                         [](double v) { return v == 2; }, 5s),
            2);
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_total", {{"route", kDeliveryRoute}, {"result", "dead_letter"}}), 1);
}

// 1,000 calls from 16 keep-alive clients at once; each must get its own answer back.
TEST(TwoSidecars, AThousandConcurrentCallsEachGetTheirOwnServiceAnswer) {
  constexpr int kCalls = 1000, kClients = 16;
  ScriptedService service([](const ServiceRequest& request) {
    return ServiceAnswer{.body = "served " + request.body, .headers = {{"Content-Type", "text/plain"}}};
  });
  CausewayProcess a(caller_side_yaml());
  CausewayProcess b(service_side_yaml(a, service));
  ASSERT_TRUE(wait_assigned(b)) << b.log();

  std::mutex mutex;
  std::vector<std::string> wrong;
  auto client = [&](int first) {
    auto connection = HttpConnection::try_connect(a.listener());
    for (int i = first; i < kCalls && connection; i += kClients) {
      const std::string body = "call-" + std::to_string(i);
      auto answer = connection->send(HttpRequest{.method = "POST", .path = "/quotes", .body = body})
                        ? connection->read_response(20s)
                        : std::nullopt;
      if (answer && answer->status == 200 && answer->body == "served " + body) continue;
      std::lock_guard lock(mutex);
      wrong.push_back(body + " -> " + (answer ? std::to_string(answer->status) + " " + answer->body : "no answer"));
      if (!answer) connection.reset();
    }
  };
  const auto started = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back(client, c);
  for (auto& thread : clients) thread.join();
  const auto took = std::chrono::duration_cast<Duration>(Clock::now() - started);

  EXPECT_TRUE(wrong.empty()) << wrong.size() << " calls not answered with their own answer, e.g. " << wrong.front();
  EXPECT_EQ(service.request_count(), static_cast<std::size_t>(kCalls)) << "each request delivered once";
  EXPECT_EQ(metric_until(b.admin(), "causeway_delivery_replies_total", {{"route", kDeliveryRoute}},
                         [](double v) { return v == kCalls; }, 5s),
            kCalls);
  EXPECT_EQ(metric_now(a.admin(), "causeway_replies_pending"), 0);
  std::cout << "[ info     ] " << kCalls << " calls through both sidecars in " << took.count() << " ms\n";
}

}  // namespace
}  // namespace causeway::testing
