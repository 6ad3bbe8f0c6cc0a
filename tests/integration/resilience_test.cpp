// Forward routes under failure and load: retries (which requests, which failures),
// the upstream's circuit breaker, and the route's rate and concurrency limits. Each
// is asserted by what the client got, by how often the service was called, and by
// the metrics.
#include <gtest/gtest.h>

#include <future>
#include <map>

#include "harness_delivery.h"
#include "harness_forward.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

double requests_total(const Address& admin, const std::string& route, int code) {
  return metric_now(admin, "causeway_requests_total", {{"route", route}, {"code", std::to_string(code)}});
}

double upstream_total(const Address& admin, const std::string& code) {
  return metric_now(admin, "causeway_upstream_requests_total", {{"upstream", "backend"}, {"code", code}});
}

// Answers `failure` to the first `count` calls, then 200.
ScriptedService::Script fails_first(std::size_t count, int failure) {
  auto calls = std::make_shared<std::atomic<std::size_t>>(0);
  return [calls, count, failure](const ServiceRequest&) {
    return calls->fetch_add(1) < count ? ServiceAnswer{.status = failure, .body = "failing"}
                                       : ServiceAnswer{.status = 200, .body = "fine"};
  };
}

// Route "api": /api/... on "public" -> the service, with `route_extra` (retry, limits).
std::string api_config(const std::string& url, const std::string& route_extra) {
  return ForwardConfig{.backend_url = url, .routes = forward_route("api", "/api/{rest=**}", "", route_extra)}.yaml();
}

const std::string kRetry503 = "retry: { attempts: 3, backoff: 10ms, retry_on: [503] }";

TEST(Resilience, IdempotentRequestIsRetriedOnAListedStatusUntilItSucceeds) {
  ScriptedService service(fails_first(2, 503));
  CausewayProcess causeway(api_config(service.url(), kRetry503));

  auto response = http(causeway.listener(), "GET", "/api/thing");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "fine");
  EXPECT_EQ(service.request_count(), 3u);
  const auto admin = causeway.admin();
  EXPECT_EQ(requests_total(admin, "api", 200), 1);
  EXPECT_EQ(requests_total(admin, "api", 503), 0);
  EXPECT_EQ(upstream_total(admin, "503"), 2);
  EXPECT_EQ(upstream_total(admin, "200"), 1);

  // A PUT with a small body is idempotent and kept: it goes again, body and all.
  service.set_script(fails_first(1, 503));
  auto put = http(causeway.listener(), "PUT", "/api/thing", {{"Content-Type", "text/plain"}}, "same body");
  EXPECT_EQ(put.status, 200);
  const auto requests = service.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[3].body, "same body");
  EXPECT_EQ(requests[4].body, "same body");
}

TEST(Resilience, RetriesStopAtTheAttemptsAndTheLastAnswerIsRelayed) {
  ScriptedService service(fails_first(100, 503));
  CausewayProcess causeway(api_config(service.url(), kRetry503));

  auto response = http(causeway.listener(), "GET", "/api/thing");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "failing");  // the service's own answer, not Causeway's
  EXPECT_EQ(service.request_count(), 3u);
  EXPECT_EQ(requests_total(causeway.admin(), "api", 503), 1);
  EXPECT_EQ(upstream_total(causeway.admin(), "503"), 3);

  // A status that is not listed is answered at once.
  service.set_script([](const ServiceRequest&) { return ServiceAnswer{.status = 500, .body = "broken"}; });
  EXPECT_EQ(http(causeway.listener(), "GET", "/api/thing").status, 500);
  EXPECT_EQ(service.request_count(), 4u);
}

TEST(Resilience, PostIsNotRetriedOnAStatus) {
  ScriptedService service(fails_first(2, 503));
  CausewayProcess causeway(api_config(service.url(), kRetry503));

  auto response = http(causeway.listener(), "POST", "/api/orders", {}, R"({"n":1})");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "failing");
  EXPECT_EQ(service.request_count(), 1u);
  EXPECT_EQ(requests_total(causeway.admin(), "api", 503), 1);
  EXPECT_EQ(upstream_total(causeway.admin(), "503"), 1);
}

// Streamed bodies (chunked, or over 64 KiB) are never kept, so never sent twice,
// even for an idempotent method on a listed status.
TEST(Resilience, StreamedRequestBodiesAreNeverRetried) {
  ScriptedService service(fails_first(100, 503));
  CausewayProcess causeway(api_config(service.url(), kRetry503));

  for (std::string method : {"PUT", "POST"}) {
    SCOPED_TRACE(method);
    const auto before = service.request_count();
    HttpConnection client(causeway.listener());
    ASSERT_TRUE(client.send(method + " /api/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                            chunked("streamed body", 5)));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 503);
    EXPECT_EQ(service.request_count(), before + 1);
    EXPECT_EQ(service.requests().back().body, "streamed body");
  }

  const auto before = service.request_count();
  auto large = http(causeway.listener(), "PUT", "/api/large", {}, std::string(65 * 1024, 'L'));
  EXPECT_EQ(large.status, 503);
  EXPECT_EQ(service.request_count(), before + 1);
  EXPECT_EQ(upstream_total(causeway.admin(), "503"), 3);
}

// A request that never reached the service may go again whatever its method.
TEST(Resilience, ConnectFailureIsRetriedEvenForPost) {
  ScriptedService service(
      [](const ServiceRequest& request) { return ServiceAnswer{.status = 201, .body = request.body}; });
  service.stop();
  CausewayProcess causeway(ForwardConfig{
      .backend_url = service.url(),
      .backend_options = "timeout: 10s, connect_timeout: 500ms",
      .routes =
          forward_route("api", "/api/{rest=**}", "",
                        "retry: { attempts: 8, backoff: 200ms, max_backoff: 400ms, retry_on: [connect-failure] }")}
                               .yaml());
  const auto admin = causeway.admin();

  auto answer = std::async(std::launch::async, [&] {
    return http(causeway.listener(), "POST", "/api/orders", {}, R"({"once":true})", 15s);
  });
  // Attempts go at about 0, 200, 600 and 1000 ms: a few are refused before the service is back.
  std::this_thread::sleep_for(700ms);
  service.start();  // same port: the next attempt connects

  auto response = answer.get();
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"({"once":true})");
  EXPECT_EQ(service.request_count(), 1u);
  EXPECT_EQ(requests_total(admin, "api", 201), 1);
  EXPECT_EQ(requests_total(admin, "api", 502), 0);
}

// Every attempt is an upstream request and is counted with its outcome, as retried
// statuses are (see IdempotentRequestIsRetried...): refused connections too.
TEST(Resilience, EachRefusedAttemptIsCounted) {
  CausewayProcess causeway(
      ForwardConfig{.backend_url = "http://127.0.0.1:" + std::to_string(refused_port()),
                    .routes = forward_route("api", "/api/{rest=**}", "",
                                            "retry: { attempts: 3, backoff: 10ms, retry_on: [connect-failure] }")}
          .yaml());

  auto response = http(causeway.listener(), "GET", "/api/x");
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.error(), "bad_gateway");
  EXPECT_EQ(requests_total(causeway.admin(), "api", 502), 1);
  EXPECT_EQ(upstream_total(causeway.admin(), "connect_failed"), 3) << "one per attempt";
}

// The service drops the connection of the first call without answering.
TEST(Resilience, ResetIsRetriedForGetButNotForPost) {
  std::atomic<int> calls{0};
  RawService service([&](RawSocket& socket) {
    while (auto head = read_request_head(socket)) {
      if (!read_request_body(socket, *head)) return;
      if (calls.fetch_add(1) % 2 == 0) return;  // closed, nothing answered
      if (!socket.send(response_head(200, {{"Content-Length", "2"}}) + "ok")) return;
    }
  });
  CausewayProcess causeway(ForwardConfig{
      .backend_url = service.url(),
      .routes = forward_route("api", "/api/{rest=**}", "", "retry: { attempts: 3, backoff: 10ms, retry_on: [reset] }")}
                               .yaml());

  auto get = http(causeway.listener(), "GET", "/api/x");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(calls.load(), 2);

  // A POST the service may have acted on is not sent twice.
  auto post = http(causeway.listener(), "POST", "/api/x", {}, "once");
  EXPECT_EQ(post.status, 502);
  EXPECT_EQ(post.error(), "bad_gateway");
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(requests_total(causeway.admin(), "api", 200), 1);
  EXPECT_EQ(requests_total(causeway.admin(), "api", 502), 1);
}

// retry_on: [timeout] must be able to retry: an attempt that timed out is tried again.
TEST(Resilience, TimedOutAttemptIsRetriedWhenTimeoutIsListed) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  ScriptedService service([calls](const ServiceRequest&) {
    return calls->fetch_add(1) == 0 ? ServiceAnswer{.body = "late", .delay = 2s} : ServiceAnswer{.body = "quick"};
  });
  CausewayProcess causeway(
      ForwardConfig{.backend_url = service.url(),
                    .routes = forward_route("api", "/api/{rest=**}", ", timeout: 300ms",
                                            "retry: { attempts: 3, backoff: 10ms, retry_on: [timeout] }")}
          .yaml());

  auto response = http(causeway.listener(), "GET", "/api/x");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "quick");
  EXPECT_EQ(service.request_count(), 2u);
}

TEST(Resilience, CircuitBreakerOpensAfterFailuresAndAHalfOpenProbeClosesIt) {
  ScriptedService service(fails_first(3, 500));
  CausewayProcess causeway(
      ForwardConfig{.backend_url = service.url(),
                    .backend_options = "timeout: 5s, circuit_breaker: { failures: 3, open_for: 1s }",
                    .routes = forward_route("api", "/api/{rest=**}")}
          .yaml());
  const auto admin = causeway.admin();

  for (int i = 0; i < 3; ++i) EXPECT_EQ(http(causeway.listener(), "GET", "/api/x").status, 500);
  EXPECT_EQ(service.request_count(), 3u);

  // Open: refused at once, the service not called.
  const auto opened = Clock::now();
  for (int i = 0; i < 3; ++i) {
    const auto started = Clock::now();
    auto refused = http(causeway.listener(), "GET", "/api/x");
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.error(), "upstream_unavailable");
    EXPECT_TRUE(refused.header("retry-after"));
    EXPECT_LT(Clock::now() - started, 200ms);
  }
  EXPECT_EQ(service.request_count(), 3u);
  EXPECT_EQ(requests_total(admin, "api", 503), 3);

  // After open_for, one probe goes through; while it is out, others are still refused.
  std::this_thread::sleep_until(opened + 1100ms);
  service.set_script(
      [](const ServiceRequest&) { return ServiceAnswer{.status = 200, .body = "back", .delay = 500ms}; });
  auto probe = std::async(std::launch::async, [&] { return http(causeway.listener(), "GET", "/api/probe"); });
  ASSERT_TRUE(service.wait_requests(4, 3s));
  auto during_probe = http(causeway.listener(), "GET", "/api/x");
  EXPECT_EQ(during_probe.status, 503);
  EXPECT_EQ(during_probe.error(), "upstream_unavailable");
  EXPECT_EQ(probe.get().status, 200);

  // Closed again: every request goes through.
  service.set_script([](const ServiceRequest&) { return ServiceAnswer{.status = 200, .body = "back"}; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http(causeway.listener(), "GET", "/api/x").status, 200);
  EXPECT_EQ(service.request_count(), 7u);
  EXPECT_EQ(requests_total(admin, "api", 503), 4);
  EXPECT_EQ(upstream_total(admin, "500"), 3);
  EXPECT_EQ(upstream_total(admin, "200"), 4);
}

TEST(Resilience, FailedHalfOpenProbeOpensTheBreakerAgain) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.status = 502}; });
  CausewayProcess causeway(
      ForwardConfig{.backend_url = service.url(),
                    .backend_options = "timeout: 5s, circuit_breaker: { failures: 2, open_for: 500ms }",
                    .routes = forward_route("api", "/api/{rest=**}")}
          .yaml());

  for (int i = 0; i < 2; ++i) EXPECT_EQ(http(causeway.listener(), "GET", "/api/x").status, 502);
  EXPECT_EQ(http(causeway.listener(), "GET", "/api/x").error(), "upstream_unavailable");
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(http(causeway.listener(), "GET", "/api/x").status, 502);  // the probe, failing
  EXPECT_EQ(http(causeway.listener(), "GET", "/api/x").error(), "upstream_unavailable");
  EXPECT_EQ(service.request_count(), 3u);
}

TEST(Resilience, RateLimitLetsTheBurstThroughThen429WithRetryAfterAndRecovers) {
  ScriptedService service;
  CausewayProcess causeway(
      ForwardConfig{.backend_url = service.url(),
                    .routes = forward_route("api", "/api/{rest=**}", "", "limits: { rate: 4, burst: 3 }")}
          .yaml());
  const auto admin = causeway.admin();

  HttpConnection client(causeway.listener());
  auto get = [&] {
    client.send(HttpRequest{.path = "/api/x"});
    auto response = client.read_response();
    return response ? *response : HttpResponse{};
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get().status, 200) << i;
  auto limited = get();
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.error(), "rate_limited");
  EXPECT_EQ(limited.json().at("route"), "api");
  ASSERT_TRUE(limited.header("retry-after"));
  EXPECT_GE(std::stoi(*limited.header("retry-after")), 1);
  EXPECT_EQ(service.request_count(), 3u);

  // 4 a second: a token is back within 250 ms, the burst within 750 ms.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(get().status, 200);
  EXPECT_EQ(get().status, 429);
  std::this_thread::sleep_for(800ms);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get().status, 200) << i;
  EXPECT_EQ(service.request_count(), 7u);
  EXPECT_EQ(requests_total(admin, "api", 429), 2);
  EXPECT_EQ(requests_total(admin, "api", 200), 7);
  EXPECT_EQ(upstream_total(admin, "200"), 7);
}

TEST(Resilience, ConcurrencyLimitRefusesTheOneRequestOverIt) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.body = "slow", .delay = 1s}; });
  CausewayProcess causeway(ForwardConfig{
      .backend_url = service.url(), .routes = forward_route("api", "/api/{rest=**}", "", "limits: { concurrency: 3 }")}
                               .yaml());
  const auto admin = causeway.admin();

  std::vector<std::future<HttpResponse>> answers;
  for (int i = 0; i < 4; ++i) {
    answers.push_back(std::async(std::launch::async, [&] { return http(causeway.listener(), "GET", "/api/slow"); }));
  }
  std::map<int, int> statuses;
  for (auto& answer : answers) {
    auto response = answer.get();
    ++statuses[response.status];
    if (response.status == 429) {
      EXPECT_TRUE(response.header("retry-after"));
    }
  }
  EXPECT_EQ(statuses[200], 3);
  EXPECT_EQ(statuses[429], 1);
  EXPECT_EQ(service.request_count(), 3u);
  EXPECT_EQ(requests_total(admin, "api", 429), 1);
  EXPECT_EQ(requests_total(admin, "api", 200), 3);

  // The slots are given back with the answers.
  service.set_script([](const ServiceRequest&) { return ServiceAnswer{.body = "quick"}; });
  EXPECT_EQ(http(causeway.listener(), "GET", "/api/again").status, 200);
}

}  // namespace
}  // namespace causeway::testing
