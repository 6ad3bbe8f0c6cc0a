// The dashboard at GET / as a real browser renders it: Debian's chromium, headless, runs
// the page's script against the running proxy and hands back the DOM it built.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_service.h"
#include "harness_sse.h"

namespace causeway::testing {
namespace {

std::optional<std::string> chromium_path() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return std::nullopt;
}

// The DOM after the page polled for a few (virtual) seconds; chromium's own chatter on
// stderr is dropped.
std::string rendered_dom(const std::string& chromium, const Address& admin, const TempDir& profile) {
  const std::string command = chromium + " --headless --no-sandbox --disable-gpu --user-data-dir=" +
                              profile.path().string() + " --virtual-time-budget=5000 --dump-dom http://" +
                              admin.text() + "/ 2>/dev/null";
  std::string dom;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return dom;
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe)) dom.append(buffer, n);
  pclose(pipe);
  return dom;
}

// The table row the page made for `key` (data-route="..."), "" when it made none.
std::string row(const std::string& dom, const std::string& key) {
  const auto start = dom.find("<tr " + key + ">");
  if (start == std::string::npos) return "";
  const auto end = dom.find("</tr>", start);
  return dom.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The markup of the row's sparkline of `kind` (rate, errors, p99), "" when there is none.
std::string sparkline(const std::string& row, const std::string& kind) {
  const auto start = row.find("<svg class=\"spark " + kind + "\"");
  if (start == std::string::npos) return "";
  return row.substr(start, row.find("</svg>", start) - start);
}

TEST(Dashboard, ServesOneSelfContainedPage) {
  CausewayProcess causeway;
  auto page = http(causeway.admin(), "GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/dashboard.json"), std::string::npos);
  // Nothing from elsewhere: no external scripts, styles or images.
  EXPECT_FALSE(std::regex_search(page.body, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)"))) << page.body;
}

TEST(Dashboard, ChromiumShowsRoutesLiveCountsAndBrokerState) {
  const auto chromium = chromium_path();
  if (!chromium) GTEST_SKIP() << "chromium is not installed (scripts/test installs it)";
  CausewayProcess causeway;
  ASSERT_TRUE(eventually([&] { return http(causeway.admin(), "GET", "/readyz").status == 200; }, 10s));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c1/events", {}, "{}").status, 202);

  TempDir profile;
  const auto dom = rendered_dom(*chromium, causeway.admin(), profile);

  ASSERT_NE(dom.find("<tbody id=\"routes\">"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<tr data-route=\"order-created\"><td>order-created</td><td class=\"mode\">event</td>"
                     "<td class=\"num requests\">3</td>"),
            std::string::npos)
      << dom;
  EXPECT_NE(dom.find("<polyline points="), std::string::npos) << dom;
  const std::regex broker_row("<tr data-broker=\"events\"><td>events</td><td class=\"mode\">kafka</td><td>" +
                              causeway.broker() + "</td><td><span class=\"state ok\">ready</span></td>"
                              "<td><span class=\"state ok\">closed</span></td><td class=\"num refused\">0</td>");
  EXPECT_TRUE(std::regex_search(dom, broker_row)) << dom;
  EXPECT_NE(dom.find("<span id=\"error\"></span>"), std::string::npos) << dom;  // every poll answered
}

// What the page shows for a broker comes from /dashboard.json: its readiness problem
// while it is down, "ready" once it is back.
TEST(Dashboard, ABrokerThatGoesDownShowsItsProblemThenReadyAgain) {
  MockBroker broker;
  broker.create_topic("orders.created", 1);
  TestConfig config;
  config.bootstrap = broker.bootstrap();
  CausewayProcess causeway(config);
  auto broker_state = [&] {
    auto response = http(causeway.admin(), "GET", "/dashboard.json");
    if (response.status != 200) return std::string("status ") + std::to_string(response.status);
    const auto body = response.json();
    const auto& entry = body.at("brokers").at(0);
    return std::string(entry.at("state").as_string()) + " at " + std::string(entry.at("address").as_string());
  };
  std::string state;
  ASSERT_TRUE(eventually([&] { return (state = broker_state()) == "ready at " + broker.bootstrap(); }, 10s, 200ms))
      << state;

  broker.down();
  EXPECT_TRUE(eventually([&] { return (state = broker_state()).starts_with("broker 'events' is unreachable"); }, 15s, 200ms))
      << state;
  broker.up();
  EXPECT_TRUE(eventually([&] { return (state = broker_state()) == "ready at " + broker.bootstrap(); }, 15s, 200ms))
      << state;
}

// A delivery route's latency is its attempts' durations, a stream route shows its clients, and
// each route has its rate, error-ratio and p99 over the last minutes drawn.
TEST(Dashboard, ChromiumShowsDeliveryLatencyStreamClientsAndSparklines) {
  const auto chromium = chromium_path();
  if (!chromium) GTEST_SKIP() << "chromium is not installed (scripts/test installs it)";
  ScriptedService service;
  DeliveryConfig config;
  config.service_url = service.url();
  CausewayProcess causeway(config.yaml() +
                           "  - name: order-stream\n"
                           "    from: { listener: public, method: GET, path: /streams/orders }\n"
                           "    to: { broker: events, topic: orders.created, stream: sse }\n");
  ASSERT_TRUE(wait_assigned(causeway)) << causeway.log();
  SseClient client(causeway.listener(), "/streams/orders");
  ASSERT_EQ(client.status(), 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c1/events", {}, "{}").status, 202);
  EXPECT_EQ(next_data(client, 3).size(), 3u);
  EXPECT_EQ(metric_until(causeway.admin(), "causeway_deliveries_total", {{"route", kDeliveryRoute}, {"result", "success"}},
                         [](double n) { return n >= 3; }, 15s),
            3)
      << causeway.log();

  TempDir profile;
  const auto dom = rendered_dom(*chromium, causeway.admin(), profile);

  const auto delivery = row(dom, "data-route=\"handle-orders\"");
  ASSERT_FALSE(delivery.empty()) << dom;
  // A number with its unit where a route without latency shows "-".
  EXPECT_TRUE(std::regex_search(delivery, std::regex(R"(<td class="num p50">[0-9.]+ m?s</td><td class="num p99">[0-9.]+ m?s</td>)")))
      << delivery;
  EXPECT_NE(delivery.find("<td class=\"num clients\"></td>"), std::string::npos) << delivery;
  EXPECT_NE(row(dom, "data-route=\"order-stream\"").find("<td class=\"num clients\">1</td>"), std::string::npos) << dom;
  const auto events = row(dom, "data-route=\"order-created\"");
  for (const auto* kind : {"rate", "errors", "p99"}) {
    EXPECT_NE(sparkline(events, kind).find("<polyline points="), std::string::npos) << kind << ": " << events;
  }
  EXPECT_NE(sparkline(delivery, "p99").find("<polyline points="), std::string::npos) << delivery;
  EXPECT_NE(dom.find("<span id=\"error\"></span>"), std::string::npos) << dom;
}

// A broker known to be down: its breaker open (answering 503 at once), and how many
// messages it refused, beside its state.
TEST(Dashboard, ABrokerKnownToBeDownShowsItsOpenBreakerAndWhatItRefused) {
  MockBroker broker;
  broker.create_topic("orders.created", 1);
  TestConfig config;
  config.bootstrap = broker.bootstrap();
  config.broker_options = "{ linger.ms: 1, message.timeout.ms: 2000 }";
  CausewayProcess causeway(config);
  auto entry = [&] { return http(causeway.admin(), "GET", "/dashboard.json").json().at("brokers").at(0); };
  EXPECT_EQ(entry().at("breaker"), boost::json::value("closed"));

  broker.down();
  // The first messages wait out message.timeout.ms; once three were not stored, the breaker answers.
  HttpResponse refused;
  ASSERT_TRUE(eventually(
      [&] {
        refused = http(causeway.listener(), "POST", "/orders/c1/events", {}, "{}", 20s);
        return refused.status == 503 && refused.body.find("known to be down") != std::string::npos;
      },
      30s, 10ms))
      << refused.status << " " << refused.body;
  const auto now = entry();
  EXPECT_EQ(now.at("breaker"), boost::json::value("open"));  // it opens for 2 s
  EXPECT_GE(now.at("refused").to_number<int>(), 1);

  const auto chromium = chromium_path();
  if (!chromium) GTEST_SKIP() << "chromium is not installed (scripts/test installs it)";
  TempDir profile;
  const auto shown = row(rendered_dom(*chromium, causeway.admin(), profile), "data-broker=\"events\"");
  // Half-open once its 2 s are over and no message has probed yet.
  EXPECT_TRUE(std::regex_search(
      shown, std::regex(R"(<td><span class="state (bad">open|idle">half-open)</span></td><td class="num refused">[1-9][0-9]*</td>)")))
      << shown;
}

// An upstream's circuit breaker as the page shows it: closed, then open once calls failed.
TEST(Dashboard, ShowsEachUpstreamsCircuitBreaker) {
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
      "upstreams:\n"
      "  dead: { url: \"http://127.0.0.1:9\", timeout: 1s, circuit_breaker: { failures: 2, open_for: 60s } }\n"
      "  plain: { url: \"http://127.0.0.1:9\" }\n"
      "routes:\n"
      "  - name: to-dead\n    from: { listener: public, method: GET, path: /dead }\n    to: { upstream: dead }\n");
  auto breaker = [&](std::size_t index) {
    return std::string(http(causeway.admin(), "GET", "/dashboard.json").json().at("upstreams").at(index).at("breaker").as_string());
  };
  EXPECT_EQ(breaker(0), "closed");
  EXPECT_EQ(breaker(1), "no breaker");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(http(causeway.listener(), "GET", "/dead").status, 502);
  EXPECT_EQ(breaker(0), "open");

  const auto chromium = chromium_path();
  if (!chromium) GTEST_SKIP() << "chromium is not installed (scripts/test installs it)";
  TempDir profile;
  const auto dom = rendered_dom(*chromium, causeway.admin(), profile);
  EXPECT_NE(dom.find("<tr data-upstream=\"dead\"><td>dead</td><td class=\"mode\">http</td>"
                     "<td><span class=\"state bad\">open</span>"),
            std::string::npos)
      << dom;
}

}  // namespace
}  // namespace causeway::testing
