// Hot reload: SIGHUP, a changed file and POST /reload. A good file is swapped in
// without failing a request (requests in flight finish on the routes they started
// with) and keeps what did not change; a bad one leaves the running config alone and
// is counted. The long test reloads 200 times under steady load and checks every
// answer, the counters, memory and open files.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <future>
#include <iostream>
#include <regex>

#include "harness_delivery.h"
#include "harness_forward.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
const std::regex kReloaded(R"(config reloaded \()");
const std::regex kReloadFailed(R"(config reload \(.*\) failed, the running config stays)");
const std::regex kFileLineColumn(R"(causeway\.yaml:\d+:\d+: )");

// Listener "public" with direct answers only (no broker, no upstream): quick to start.
std::string direct_config(const std::vector<std::string>& paths,
                          const std::string& listener = "{ protocol: http, listen: 127.0.0.1:0 }") {
  std::string yaml = "admin: { listen: 127.0.0.1:0 }\nlisteners:\n";
  yaml += "  public: " + listener + "\n";
  yaml += "routes:\n";
  for (std::size_t i = 0; i < paths.size(); ++i) {
    yaml += "  - name: r" + std::to_string(i) + "\n";
    yaml += "    from: { listener: public, path: " + paths[i] + " }\n";
    yaml += "    to: { status: 200, body: \"" + paths[i] + "\", content_type: text/plain }\n";
  }
  return yaml;
}

// The config of the tests under load: broker "events" (embedded), upstream
// "backend", and routes to each kind of target: an event, a direct answer (/status),
// a forward (/fwd/...), and, when `extra`, a direct answer on /extra.
struct ReloadConfig {
  std::string backend_url{};
  bool extra = false;
  std::string broker_options = "{ linger.ms: 1 }";
  std::string backend_timeout = "5s";
  std::string yaml() const {
    std::string text = "admin: { listen: 127.0.0.1:0 }\n";
    text += "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n";
    text += "brokers:\n  events: { bootstrap: embedded, options: " + broker_options + " }\n";
    text += "upstreams:\n  backend: { url: " + backend_url + ", timeout: " + backend_timeout + " }\n";
    text += "routes:\n";
    text += "  - name: order-created\n";
    text += "    from: { listener: public, method: POST, path: \"/orders/{customer}/events\" }\n";
    text += "    to: { broker: events, topic: orders.created, key: \"{customer}\" }\n";
    text += "  - name: status\n";
    text += "    from: { listener: public, path: /status }\n";
    text += "    to: { status: 200, body: '{\"ok\":true}' }\n";
    text += forward_route("fwd", "/fwd/{rest=**}");
    if (extra) {
      text += "  - name: extra\n    from: { listener: public, path: /extra }\n";
      text += "    to: { status: 200, body: extra }\n";
    }
    return text;
  }
};

// Ways a file can be wrong, each a different stage of checking: `variant` picks one.
std::string broken(const std::string& yaml, int variant, const Address& taken) {
  switch (variant % 5) {
    case 0:
      return yaml + "    colour: blue\n";  // unknown key
    case 1:
      return std::regex_replace(yaml, std::regex("timeout: \\d+s"), "timeout: soon");  // bad value
    case 2:
      return yaml + "  - name: [unclosed\n";  // not YAML
    case 3:                                   // a route to an upstream that is not there
      return yaml +
             "  - name: nowhere\n    from: { listener: public, path: /nowhere }\n    to: { upstream: missing }\n";
    default:  // valid, but a new listener cannot bind: the port is taken
      return std::regex_replace(yaml, std::regex("listeners:\n"),
                                "listeners:\n  blocked: { protocol: http, listen: " + taken.text() + " }\n");
  }
}

// Waits until the log shows `count` reloads, good or bad, in all.
bool wait_reloads_logged(const CausewayProcess& causeway, std::size_t count, Duration timeout = 10s) {
  return eventually(
      [&] {
        const auto log = causeway.log();
        return count_matches(log, kReloaded) + count_matches(log, kReloadFailed) >= count;
      },
      timeout);
}

double reloads_total(const Address& admin, const std::string& result) {
  return metric_now(admin, "causeway_config_reloads_total", {{"result", result}});
}

int status_of(const Address& listener, const std::string& path) { return http(listener, "GET", path).status; }

// What an answer may be while routes come and go: /extra may exist or not; nothing
// else may fail.
bool acceptable(const SteadyLoad::Answer& answer) {
  if (answer.path.starts_with("/orders/")) return answer.status == 202;
  if (answer.path == "/status") return answer.status == 200 && answer.body == R"({"ok":true})";
  if (answer.path.starts_with("/fwd/")) return answer.status == 200 && answer.body == "fwd";
  if (answer.path == "/extra") return (answer.status == 200 && answer.body == "extra") || answer.status == 404;
  return false;
}

TEST(Reload, TwoHundredReloadsUnderSteadyLoadFailNoRequest) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.body = "fwd"}; });
  ReloadConfig config{.backend_url = service.url()};
  CausewayProcess causeway(config.yaml());
  UnwatchedConfig file(causeway);  // one reload, so that only the test's own follow
  const auto admin = causeway.admin();
  const auto listener = causeway.listener();

  SteadyLoad load(listener,
                  {HttpRequest{.method = "POST", .path = "/orders/c1/events", .body = "{}"},
                   HttpRequest{.path = "/status"}, HttpRequest{.path = "/fwd/a/b"}, HttpRequest{.path = "/extra"}},
                  4);
  ASSERT_TRUE(eventually([&] { return load.answered() > 100; }, 10s)) << causeway.log();

  int good = 1, bad = 0;  // the switch to the unwatched file was a good one
  int good_by_signal = 0, good_by_file = 1, new_upstreams = 0;
  double rss_start = 0, fds_start = 0;
  const auto started = Clock::now();
  for (int i = 0; i < 200; ++i) {
    if (i == 20) {  // after a warm-up: every kind of reload and failure has run
      rss_start = resident_bytes(admin);
      fds_start = metric_now(admin, "process_open_fds");
    }
    const bool valid = i % 2 == 0;
    if (valid) {
      config.extra = (i / 2) % 2 == 0;
      // Now and then the upstream changes too: the old one is retired under load.
      if (i % 20 == 10) {
        config.backend_timeout = config.backend_timeout == "5s" ? "6s" : "5s";
        ++new_upstreams;
      }
    }
    const std::string yaml = valid ? config.yaml() : broken(config.yaml(), i / 2, admin);
    (valid ? good : bad)++;
    SCOPED_TRACE("reload " + std::to_string(i) + (valid ? " (valid)" : " (invalid)"));

    const auto reloads = static_cast<std::size_t>(good + bad);  // this one included
    if (i % 50 == 17 || i % 50 == 42) {
      file.write(yaml);
      causeway.signal(SIGHUP);
      ASSERT_TRUE(wait_reloads_logged(causeway, reloads)) << "SIGHUP";
      good_by_signal += valid ? 1 : 0;
    } else if (i % 50 == 30 || i % 50 == 31) {
      file.replace_watched(yaml);
      ASSERT_TRUE(wait_reloads_logged(causeway, reloads)) << "file change";
      good_by_file += valid ? 1 : 0;
    } else {
      file.write(yaml);
      auto answer = post_reload(admin);
      ASSERT_EQ(answer.status, valid ? 200 : 400) << answer.body;
      if (!valid && (i / 2) % 5 != 4) {  // all but the bind failure are the file's
        EXPECT_TRUE(std::regex_search(answer.body, kFileLineColumn)) << answer.body;
      }
    }
    if (valid) {
      // Swapped in by the time the reload is reported.
      EXPECT_EQ(status_of(listener, "/extra"), config.extra ? 200 : 404);
    }
    std::this_thread::sleep_for(10ms);  // let the load run between reloads
  }
  const auto reload_time = Clock::now() - started;
  // Pieces a reload retired are let go once idle (checked every 500 ms).
  std::this_thread::sleep_for(1200ms);
  const double rss_end = resident_bytes(admin);
  const double fds_end = metric_now(admin, "process_open_fds");
  const auto answers = load.stop();

  std::size_t failed = 0, extra_found = 0, extra_missing = 0;
  for (const auto& answer : answers) {
    if (!acceptable(answer) && ++failed <= 10) {
      ADD_FAILURE() << answer.path << " answered " << answer.status << ": " << answer.body;
    }
    if (answer.path == "/extra") ++(answer.status == 200 ? extra_found : extra_missing);
  }
  EXPECT_EQ(failed, 0u) << "of " << answers.size() << " answers";
  EXPECT_GT(answers.size(), 1000u);
  EXPECT_GT(extra_found, 0u);
  EXPECT_GT(extra_missing, 0u);

  EXPECT_EQ(reloads_total(admin, "success"), good);
  EXPECT_EQ(reloads_total(admin, "failure"), bad);
  const auto log = causeway.log();
  EXPECT_EQ(count_matches(log, kReloaded), static_cast<std::size_t>(good));
  EXPECT_EQ(count_matches(log, kReloadFailed), static_cast<std::size_t>(bad));
  EXPECT_EQ(count_matches(log, std::regex(R"(config reloaded \(SIGHUP\))")), static_cast<std::size_t>(good_by_signal));
  EXPECT_EQ(count_matches(log, std::regex(R"(config reloaded \(the file changed\))")),
            static_cast<std::size_t>(good_by_file));
  EXPECT_EQ(count_matches(log, std::regex(R"(config reloaded .*broker 'events' kept.*listener 'public' kept)")),
            static_cast<std::size_t>(good));
  EXPECT_EQ(count_matches(log, std::regex(R"(config reloaded .*upstream 'backend' new)")),
            static_cast<std::size_t>(new_upstreams));

  const double rss_growth = rss_end - rss_start;
  const double fds_growth = fds_end - fds_start;
  std::cout << "200 reloads in " << std::chrono::duration_cast<Duration>(reload_time).count() << " ms, "
            << answers.size() << " answers; RSS " << rss_start / kMiB << " -> " << rss_end / kMiB << " MiB, open fds "
            << fds_start << " -> " << fds_end << "\n";
  RecordProperty("rss_start", static_cast<int>(rss_start));
  RecordProperty("rss_end", static_cast<int>(rss_end));
  RecordProperty("fds_start", static_cast<int>(fds_start));
  RecordProperty("fds_end", static_cast<int>(fds_end));
  EXPECT_LT(rss_growth, 20 * kMiB);
  EXPECT_LT(fds_growth, 20);
}

TEST(Reload, SighupReloadsTheFileAndABadFileKeepsTheRunningConfig) {
  CausewayProcess causeway(direct_config({"/a"}));
  UnwatchedConfig file(causeway);
  const auto listener = causeway.listener();

  file.write(direct_config({"/b"}));
  causeway.signal(SIGHUP);
  ASSERT_TRUE(causeway.wait_for_log(R"(config reloaded \(SIGHUP\): 1 route\(s\); listener 'public' kept)", 5s))
      << causeway.log();
  EXPECT_EQ(status_of(listener, "/b"), 200);
  EXPECT_EQ(status_of(listener, "/a"), 404);

  file.write(direct_config({"/c"}) + "  - name: broken\n    from: { listener: public }\n");
  causeway.signal(SIGHUP);
  ASSERT_TRUE(causeway.wait_for_log(
      R"(config reload \(SIGHUP\) failed, the running config stays: .*causeway\.yaml:\d+:\d+: )", 5s))
      << causeway.log();
  EXPECT_EQ(status_of(listener, "/b"), 200);
  EXPECT_EQ(status_of(listener, "/c"), 404);
  EXPECT_EQ(reloads_total(causeway.admin(), "success"), 2);  // the switch, then SIGHUP
  EXPECT_EQ(reloads_total(causeway.admin(), "failure"), 1);
}

TEST(Reload, ChangedFileIsReloadedOnceItsWritesSettle) {
  CausewayProcess causeway(direct_config({"/a"}));
  const auto listener = causeway.listener();
  const auto admin = causeway.admin();
  const auto& path = causeway.config_file();

  // Replaced by a rename, as editors and deployment tools do.
  const auto next = path.parent_path() / "next.yaml";
  std::ofstream(next) << direct_config({"/b"});
  std::filesystem::rename(next, path);
  ASSERT_TRUE(eventually([&] { return status_of(listener, "/b") == 200; }, 5s)) << causeway.log();
  EXPECT_EQ(status_of(listener, "/a"), 404);
  EXPECT_TRUE(causeway.wait_for_log(R"(config reloaded \(the file changed\))", 1s));

  // Written in place in a few steps: one reload, of the finished file.
  {
    std::ofstream out(path, std::ios::trunc);
    out << direct_config({"/c"});
    out.flush();
    std::this_thread::sleep_for(50ms);
    out << "  - name: late\n    from: { listener: public, path: /d }\n    to: { status: 200, body: d }\n";
  }
  ASSERT_TRUE(eventually([&] { return status_of(listener, "/d") == 200; }, 5s)) << causeway.log();
  std::this_thread::sleep_for(500ms);  // any second reload would be done by now
  EXPECT_EQ(status_of(listener, "/c"), 200);
  EXPECT_EQ(reloads_total(admin, "success"), 2);
  EXPECT_EQ(reloads_total(admin, "failure"), 0);

  // A bad file is refused and named with its line and column.
  std::ofstream(next) << direct_config({"/e"}) << "bogus: true\n";
  std::filesystem::rename(next, path);
  ASSERT_TRUE(causeway.wait_for_log(R"(config reload \(the file changed\) failed.*causeway\.yaml:\d+:\d+: )", 5s))
      << causeway.log();
  EXPECT_EQ(status_of(listener, "/d"), 200);
  EXPECT_EQ(status_of(listener, "/e"), 404);
  EXPECT_EQ(reloads_total(admin, "failure"), 1);
}

TEST(Reload, PostReloadAnswers200Or400WithTheReason) {
  CausewayProcess causeway(direct_config({"/a"}));
  UnwatchedConfig file(causeway);
  const auto admin = causeway.admin();

  file.write(direct_config({"/a", "/b"}));
  auto ok = post_reload(admin);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().at("result"), "reloaded");
  EXPECT_NE(ok.body.find("listener 'public' kept"), std::string::npos) << ok.body;
  EXPECT_EQ(status_of(causeway.listener(), "/b"), 200);

  // The unknown key is on line 8, its key at column 5.
  const std::string bad = direct_config({"/a"}) + "    colour: blue\n";
  file.write(bad);
  auto refused = post_reload(admin);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.error(), "reload_failed");
  const std::string message(refused.json().at("message").as_string());
  EXPECT_NE(message.find("causeway.yaml:8:5: "), std::string::npos) << message;
  EXPECT_NE(message.find("colour"), std::string::npos) << message;
  EXPECT_EQ(status_of(causeway.listener(), "/b"), 200);  // the running config stays

  EXPECT_EQ(http(admin, "GET", "/reload").status, 405);
  EXPECT_EQ(reloads_total(admin, "success"), 2);
  EXPECT_EQ(reloads_total(admin, "failure"), 1);
  EXPECT_TRUE(causeway.wait_for_log(R"(config reload \(POST /reload\) failed.*causeway\.yaml:8:5: )", 1s));
}

TEST(Reload, AFileOverTheSizeLimitIsRefusedAndTheRunningConfigStays) {
  CausewayProcess causeway(direct_config({"/a"}));
  UnwatchedConfig file(causeway);
  const auto admin = causeway.admin();

  // A valid file but for its size: comments past the 16 MiB a config file may have.
  const std::string padding = "#" + std::string(1022, '.') + "\n";
  std::string huge = direct_config({"/b"});
  while (huge.size() <= 16 * 1024 * 1024) huge += padding;
  file.write(huge);
  auto refused = post_reload(admin);
  EXPECT_EQ(refused.status, 400) << refused.body;
  const std::string message(refused.json().at("message").as_string());
  EXPECT_NE(message.find(".yaml: the file is over the limit of 16 MiB for a config file ("), std::string::npos)
      << message;
  EXPECT_EQ(status_of(causeway.listener(), "/a"), 200);  // the running config stays
  EXPECT_EQ(status_of(causeway.listener(), "/b"), 404);
  EXPECT_EQ(reloads_total(admin, "failure"), 1);
}

TEST(Reload, ChangedBrokerOptionsGetANewProducerWhileUnchangedOnesAreKept) {
  ScriptedService service;
  // A second broker, "audit", with its own event route.
  auto with_audit = [&](const std::string& linger) {
    const std::string yaml = ReloadConfig{.backend_url = service.url()}.yaml() +
                             "  - name: audit\n"
                             "    from: { listener: public, method: POST, path: /audit }\n"
                             "    to: { broker: audit, topic: audit.log }\n";
    return std::regex_replace(yaml, std::regex("brokers:\n"),
                              "brokers:\n  audit: { bootstrap: embedded, options: { linger.ms: " + linger + " } }\n");
  };
  CausewayProcess causeway(with_audit("1"));
  UnwatchedConfig file(causeway);
  const auto listener = causeway.listener();
  EXPECT_EQ(http(listener, "POST", "/audit", {}, "before").status, 202);

  file.write(with_audit("2"));
  auto answer = post_reload(causeway.admin());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("broker 'audit' new"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("broker 'events' kept"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("upstream 'backend' kept"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("listener 'public' kept"), std::string::npos) << answer.body;
  EXPECT_TRUE(causeway.wait_for_log(R"(config reloaded \(POST /reload\): 4 route\(s\); .*broker 'audit' new)", 1s))
      << causeway.log();

  // Both brokers' routes work on: the new producer, and the kept one.
  EXPECT_EQ(http(listener, "POST", "/audit", {}, "after").status, 202);
  EXPECT_EQ(http(listener, "POST", "/orders/c1/events", {}, "{}").status, 202);

  // The same file again changes nothing.
  auto again = post_reload(causeway.admin());
  EXPECT_NE(again.body.find("broker 'audit' kept"), std::string::npos) << again.body;
}

TEST(Reload, NewListenerIsBoundAndARemovedOneStopsAccepting) {
  auto config = [](const std::string& second) {
    std::string yaml = "admin: { listen: 127.0.0.1:0 }\nlisteners:\n";
    yaml += "  public: { protocol: http, listen: 127.0.0.1:0 }\n";
    yaml += "  " + second + ": { protocol: http, listen: 127.0.0.1:0 }\n";
    yaml += "routes:\n  - name: main\n    from: { listener: public, path: /main }\n";
    yaml += "    to: { status: 200, body: main }\n";
    yaml += "  - name: side\n";
    yaml += "    from: { listener: " + second + ", path: /side }\n";
    yaml += "    to: { status: 200, body: " + second + " }\n";
    return yaml;
  };
  CausewayProcess causeway(config("before"));
  UnwatchedConfig file(causeway);
  const auto removed = causeway.listener("before");
  HttpConnection kept_open(causeway.listener());  // on the listener that stays
  HttpConnection left_open(removed);              // on the one that goes
  ASSERT_TRUE(kept_open.send(HttpRequest{.path = "/main"}) && kept_open.read_response());
  ASSERT_TRUE(left_open.send(HttpRequest{.path = "/side"}) && left_open.read_response());

  const auto from = causeway.log().size();
  file.write(config("after"));
  auto answer = post_reload(causeway.admin());
  ASSERT_EQ(answer.status, 200) << answer.body;
  // The output is read on a thread of its own: the line may come a moment after the answer.
  std::string log;
  std::smatch bound;
  const std::regex listening(R"(listener 'after' \(http\) listening on (\S+))");
  ASSERT_TRUE(eventually([&] { return std::regex_search(log = causeway.log().substr(from), bound, listening); }, 5s))
      << log;
  const auto added = Address::parse(bound[1]);

  auto side = http(added, "GET", "/side");
  EXPECT_EQ(side.status, 200);
  EXPECT_EQ(side.body, "after");
  EXPECT_TRUE(eventually([&] { return !HttpConnection::try_connect(removed, 200ms); }, 5s))
      << "the removed listener still accepts";
  EXPECT_TRUE(left_open.closed_by_peer(3s)) << "an idle connection of the removed listener stays open";

  // The kept listener kept its connections, and serves the new routes on them.
  ASSERT_TRUE(kept_open.send(HttpRequest{.path = "/main"}));
  auto main = kept_open.read_response();
  ASSERT_TRUE(main);
  EXPECT_EQ(main->status, 200);
}

// Listeners on fixed ports are the usual case; changing one's limits must not need a restart.
TEST(Reload, ListenerWithChangedLimitsOnTheSamePortIsReloaded) {
  const auto port = refused_port();
  auto config = [&](const std::string& max_body) {
    return direct_config({"/upload"}, "{ protocol: http, listen: 127.0.0.1:" + std::to_string(port) +
                                          ", limits: { max_body: " + max_body + " } }");
  };
  CausewayProcess causeway(config("1KiB"));
  UnwatchedConfig file(causeway);
  const auto listener = causeway.listener();
  ASSERT_EQ(listener.port, port);
  EXPECT_EQ(http(listener, "POST", "/upload", {}, std::string(2048, 'b')).status, 413);

  file.write(config("4KiB"));
  auto answer = post_reload(causeway.admin());
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(http(listener, "POST", "/upload", {}, std::string(2048, 'b')).status, 200);
  EXPECT_EQ(reloads_total(causeway.admin(), "failure"), 0);
}

TEST(Reload, InFlightForwardFinishesOnTheRouteItStartedWith) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.body = "slow answer", .delay = 1500ms}; });
  const std::string with_slow = direct_config({"/status"}) + forward_route("slow", "/slow") +
                                "upstreams:\n  backend: { url: " + service.url() + ", timeout: 5s }\n";
  CausewayProcess causeway(with_slow);
  UnwatchedConfig file(causeway);

  auto in_flight = std::async(std::launch::async, [&] { return http(causeway.listener(), "GET", "/slow"); });
  ASSERT_TRUE(service.wait_requests(1, 5s));

  // The route and its upstream both go.
  file.write(direct_config({"/status"}));
  auto answer = post_reload(causeway.admin());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(status_of(causeway.listener(), "/slow"), 404);

  auto finished = in_flight.get();
  EXPECT_EQ(finished.status, 200);
  EXPECT_EQ(finished.body, "slow answer");
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "slow"}, {"code", "200"}}), 1);
}

}  // namespace
}  // namespace causeway::testing
