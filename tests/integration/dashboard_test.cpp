// The dashboard at GET / as a real browser renders it: Debian's chromium, headless, runs
// the page's script against the running proxy and hands back the DOM it built.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "harness.h"

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
                              causeway.broker() + "</td><td><span class=\"state ok\">ready</span>");
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
