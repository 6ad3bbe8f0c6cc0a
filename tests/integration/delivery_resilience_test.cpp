// Delivery when things go wrong: a message that never succeeds, a service that is
// down or slow, a Causeway that is killed, drained, or joined by a second instance.
// The promise checked throughout: nothing produced is lost, and duplicates are few
// and counted.
#include <gtest/gtest.h>

#include <regex>

#include <csignal>
#include <map>
#include <set>

#include "harness_delivery.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

const MetricsPage::Labels kSuccess{{"route", kDeliveryRoute}, {"result", "success"}};
const MetricsPage::Labels kRetry{{"route", kDeliveryRoute}, {"result", "retry"}};
const MetricsPage::Labels kDeadLetter{{"route", kDeliveryRoute}, {"result", "dead_letter"}};
const MetricsPage::Labels kRoute{{"route", kDeliveryRoute}};
constexpr const char* kTopic = "orders.created";

std::string id_of(int n) { return "id-" + std::to_string(n); }

// Messages id-first .. id-(first+count-1), spread over `keys` keys; returns their ids.
std::vector<std::string> produce(TopicWriter& writer, int first, int count, int keys) {
  std::vector<std::string> ids;
  for (int n = first; n < first + count; ++n) {
    writer.send(kTopic, "k" + std::to_string(n % keys), id_of(n));
    ids.push_back(id_of(n));
  }
  writer.flush();
  return ids;
}

// How often each body was answered 200 (ids are the bodies here).
std::map<std::string, int> handled_counts(const std::vector<ServiceRequest>& requests) {
  std::map<std::string, int> counts;
  for (const auto& request : requests) {
    if (request.status == 200) ++counts[request.body];
  }
  return counts;
}

// How often each id was called, answered or not (a body is an id, or an id, '|' and padding).
std::map<std::string, int> seen_counts(const std::vector<ServiceRequest>& requests) {
  std::map<std::string, int> counts;
  for (const auto& request : requests) ++counts[request.body.substr(0, request.body.find('|'))];
  return counts;
}

std::vector<std::string> missing(const std::vector<std::string>& ids, const std::map<std::string, int>& counts) {
  std::vector<std::string> absent;
  for (const auto& id : ids) {
    if (!counts.contains(id)) absent.push_back(id);
  }
  return absent;
}

bool all_seen(const ScriptedService& service, const std::vector<std::string>& ids, Duration timeout) {
  return eventually([&] { return missing(ids, seen_counts(service.requests())).empty(); }, timeout, 50ms);
}

std::size_t duplicates(const std::map<std::string, int>& counts) {
  std::size_t extra = 0;
  for (const auto& [id, count] : counts) extra += static_cast<std::size_t>(std::max(0, count - 1));
  return extra;
}

std::string first_of(const std::vector<std::string>& ids) { return ids.empty() ? "" : ids.front(); }

// One of several instances on a broker that outlives them, in group order-handler:
// its calls' paths start with /<instance>/, so the service can tell who called.
std::string shared_broker_yaml(const ScriptedService& service, const MockBroker& broker, const std::string& instance,
                               const std::string& concurrency = {}, const std::string& drain_timeout = "15s") {
  return DeliveryConfig{.service_url = service.url(),
                        .bootstrap = broker.bootstrap(),
                        .broker_options = kGroupBrokerOptions,
                        .drain_timeout = drain_timeout,
                        .path = "/" + instance + "/orders/{key}",
                        .concurrency = concurrency,
                        .event_route = false}
      .yaml();
}

bool made_by(const ServiceRequest& request, const std::string& instance) {
  return request.target.starts_with("/" + instance + "/");
}

TEST(DeliveryResilience, WithoutDeadLetterAFailingMessageIsStuckAndRetriedUntilTheServiceRecovers) {
  constexpr int kOthers = 10;
  std::atomic<bool> recovered{false};
  ScriptedService service([&](const ServiceRequest& request) {
    if (request.header("x-kafka-key") == "stuck" && !recovered.load()) return ServiceAnswer{.status = 503};
    return ServiceAnswer{};
  });
  DeliveryConfig config{.service_url = service.url(),
                        .retry = "{ attempts: 2, backoff: 50ms, max_backoff: 300ms }",
                        .event_route = false};
  CausewayProcess causeway(config.yaml());
  TopicWriter writer(causeway.broker());
  writer.send(kTopic, "stuck", "s", {}, 0);
  for (int i = 0; i < kOthers; ++i) writer.send(kTopic, "other" + std::to_string(i), "o", {}, 0);
  writer.flush();

  auto admin = causeway.admin();
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_stuck", kRoute, [](double v) { return v == 1; }, 10s), 1)
      << causeway.log();
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kSuccess, [](double v) { return v == kOthers; }, 10s),
            kOthers)
      << "later messages of the partition with other keys must still flow";

  auto stuck_calls = [&] {
    std::vector<ServiceRequest> calls;
    for (const auto& request : service.requests()) {
      if (request.header("x-kafka-key") == "stuck") calls.push_back(request);
    }
    return calls;
  };
  ASSERT_TRUE(eventually([&] { return stuck_calls().size() >= 5; }, 10s)) << stuck_calls().size() << " calls";
  auto calls = stuck_calls();
  for (std::size_t i = 2; i < calls.size(); ++i) {
    auto gap = std::chrono::duration_cast<Duration>(calls[i].arrived - calls[i - 1].arrived);
    EXPECT_GE(gap, 280ms) << "attempt " << i + 1 << ": out of attempts, it is retried at max_backoff";
    EXPECT_LE(gap, 2000ms) << "attempt " << i + 1;
  }
  EXPECT_GT(delivery_lag(admin).value_or(0), 0) << "nothing past the stuck message may be committed";
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_stuck", kRoute), 1);

  recovered.store(true);
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_stuck", kRoute, [](double v) { return v == 0; }, 5s), 0);
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kSuccess, [](double v) { return v == kOthers + 1; }, 5s),
            kOthers + 1);
  EXPECT_TRUE(eventually([&] { return delivery_lag(admin) == 0.0; }, 5s));
  calls = stuck_calls();
  EXPECT_EQ(calls.back().status, 200);
  EXPECT_EQ(std::count_if(calls.begin(), calls.end(), [](const auto& c) { return c.status == 200; }), 1);
}

TEST(DeliveryResilience, MessagesWaitOutAServiceOutageAndAreDeliveredOnceWhenItIsBack) {
  ScriptedService service;
  DeliveryConfig config{.service_url = service.url(),
                        .retry = "{ attempts: 50, backoff: 100ms, max_backoff: 1s }",
                        .dead_letter = "orders.created.dlq",
                        .event_route = false};
  CausewayProcess causeway(config.yaml());
  TopicWriter writer(causeway.broker());
  auto ids = produce(writer, 0, 20, 7);
  ASSERT_TRUE(service.wait_requests(ids.size(), 15s)) << causeway.log();

  service.stop();
  const auto down_at = Clock::now();
  auto during = produce(writer, 20, 50, 7);
  ids.insert(ids.end(), during.begin(), during.end());
  std::this_thread::sleep_until(down_at + 5s);
  const auto seen_before_restart = service.request_count();
  service.start();

  EXPECT_TRUE(eventually([&] { return handled_counts(service.requests()).size() == ids.size(); }, 20s))
      << handled_counts(service.requests()).size() << " of " << ids.size() << " delivered";
  auto counts = handled_counts(service.requests());
  EXPECT_TRUE(missing(ids, counts).empty()) << "lost, e.g. " << first_of(missing(ids, counts));
  for (const auto& [id, count] : counts) EXPECT_EQ(count, 1) << id << " was handled " << count << " times";
  EXPECT_EQ(seen_before_restart, 20u) << "the service was down";

  auto admin = causeway.admin();
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kSuccess, [&](double v) { return v == 70; }, 5s), 70);
  EXPECT_GT(metric_now(admin, "causeway_deliveries_total", kRetry), 0) << "refused calls are retried";
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_total", kDeadLetter), 0);
  EXPECT_TRUE(eventually([&] { return delivery_lag(admin) == 0.0; }, 5s));
}

TEST(DeliveryResilience, KillNineMidStreamThenRestartDeliversEveryMessageAtLeastOnce) {
  MockBroker broker;  // outlives both instances, with the group's committed offsets
  broker.create_topic(kTopic, 2);
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.delay = 5ms}; });
  auto first = std::make_unique<CausewayProcess>(shared_broker_yaml(service, broker, "first", "4"));
  TopicWriter writer(broker.bootstrap());
  auto ids = produce(writer, 0, 400, 40);
  ASSERT_TRUE(service.wait_requests(120, 20s)) << first->log();
  first->kill9();

  CausewayProcess second(shared_broker_yaml(service, broker, "second", "4"));
  ASSERT_TRUE(all_seen(service, ids, 30s)) << "lost, e.g. " << first_of(missing(ids, seen_counts(service.requests())))
                                           << "\n" << second.log();

  auto requests = service.requests();
  std::set<std::string> sent_by_first;
  std::size_t by_second = 0, again = 0;  // again: calls by the second for ids the first had sent
  for (const auto& request : requests) {
    if (made_by(request, "first")) sent_by_first.insert(request.body);
  }
  for (const auto& request : requests) {
    if (!made_by(request, "second")) continue;
    ++by_second;
    again += sent_by_first.contains(request.body);
  }
  auto admin = second.admin();
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kSuccess,
                         [&](double v) { return v == static_cast<double>(by_second); }, 5s),
            static_cast<double>(by_second));
  const double redelivered = metric_now(admin, "causeway_deliveries_redelivered_total", kRoute);
  EXPECT_GE(redelivered, 0);
  EXPECT_EQ(duplicates(seen_counts(requests)), again) << "only a restart may deliver twice";
  std::cout << "[ info     ] kill -9 after " << requests.size() - by_second << " calls: the restarted instance called "
            << again << " id(s) again; causeway_deliveries_redelivered_total = " << redelivered << "\n";
}

// 1,000 messages of 16 KiB to a service answering in 200 ms, two at a time: the
// partitions pause at max_buffered, so the backlog waits in Kafka, not in Causeway.
// The service is slow for 3 s and then fast, as 1,000 calls at 200 ms two at a time
// would take 100 s. (librdkafka's mock broker keeps about 5 MB per partition and
// drops older messages beyond that, hence 8 partitions of about 2 MB each.)
TEST(DeliveryResilience, SlowServicePausesPartitionsAndLagDrainsWithBoundedMemory) {
  constexpr int kMessages = 1000;
  MockBroker broker;  // the backlog lives here, outside Causeway's memory
  broker.create_topic(kTopic, 8);
  std::atomic<int> delay_ms{200};
  ScriptedService service([&](const ServiceRequest&) { return ServiceAnswer{.delay = Duration(delay_ms.load())}; });
  DeliveryConfig config{.service_url = service.url(),
                        .bootstrap = broker.bootstrap(),
                        .concurrency = "2",
                        .max_buffered = "50",
                        .event_route = false};
  CausewayProcess causeway(config.yaml());
  ASSERT_TRUE(wait_assigned(causeway)) << causeway.log();
  auto admin = causeway.admin();
  const double baseline = resident_bytes(admin);

  TopicWriter writer(broker.bootstrap());
  const std::string padding(16 * 1024, 'x');
  std::vector<std::string> ids;
  for (int n = 0; n < kMessages; ++n) {
    writer.send(kTopic, "k" + std::to_string(n % 100), id_of(n) + "|" + padding);
    ids.push_back(id_of(n));
  }
  writer.flush(30s);

  double peak = baseline, most_lag = 0, most_in_flight = 0;
  auto sample = [&] {
    auto page = scrape_metrics(admin);
    peak = std::max(peak, page.value("process_resident_memory_bytes").value_or(0));
    most_lag = std::max(most_lag, page.value("causeway_consumer_lag", kRoute).value_or(0));
    most_in_flight = std::max(most_in_flight, page.value("causeway_deliveries_in_flight", kRoute).value_or(0));
  };
  for (auto until = Clock::now() + 3s; Clock::now() < until; std::this_thread::sleep_for(100ms)) sample();
  const auto slow_calls = service.request_count();
  EXPECT_GT(most_lag, 0) << "the backlog shows as consumer lag";
  EXPECT_LT(slow_calls, 100u);

  delay_ms.store(0);
  EXPECT_TRUE(eventually([&] { sample(); return missing(ids, seen_counts(service.requests())).empty(); }, 40s, 100ms))
      << seen_counts(service.requests()).size() << " of " << kMessages << " delivered";
  EXPECT_TRUE(eventually([&] { sample(); return delivery_lag(admin) == 0.0; }, 5s));
  const double end = resident_bytes(admin);
  EXPECT_LE(max_concurrent(service.requests()), 2u);
  EXPECT_LE(most_in_flight, 2);
  EXPECT_LT(peak, 200.0 * 1024 * 1024);
  std::cout << "[ info     ] RSS MiB: baseline " << baseline / 1048576 << ", peak " << peak / 1048576 << ", end "
            << end / 1048576 << "; payload " << kMessages * padding.size() / 1048576 << " MiB; lag peak " << most_lag
            << "; " << slow_calls << " calls in the 3 s at 200 ms\n";
}

// max_buffered: 2 pauses and resumes the partition every other message, pauses from
// the consumer's thread and resumes from the service's: in whatever order they land,
// the partition must never stay paused.
TEST(DeliveryResilience, TinyBufferPausesAndResumesWithoutStalling) {
  constexpr int kMessages = 400;
  ScriptedService service;
  DeliveryConfig config{.service_url = service.url(), .max_buffered = "2", .event_route = false};
  CausewayProcess causeway(config.yaml());
  // Timed from the assignment: the group's first join (3 s on the mock broker, more on a
  // busy machine) is not what this test is about.
  ASSERT_TRUE(wait_assigned(causeway, 30s)) << causeway.log();
  TopicWriter writer(causeway.broker());
  std::vector<std::string> ids;
  for (int n = 0; n < kMessages; ++n) {
    writer.send(kTopic, "k" + std::to_string(n % 60), id_of(n), {}, 0);
    ids.push_back(id_of(n));
  }
  writer.flush();
  const auto started = Clock::now();
  EXPECT_TRUE(all_seen(service, ids, 30s))
      << seen_counts(service.requests()).size() << " of " << kMessages << " delivered; lag "
      << delivery_lag(causeway.admin()).value_or(-1) << ", in flight "
      << metric_now(causeway.admin(), "causeway_deliveries_in_flight", kRoute) << "\n"
      << causeway.log();
  std::cout << "[ info     ] " << kMessages << " messages through max_buffered 2 in "
            << std::chrono::duration_cast<Duration>(Clock::now() - started).count() << " ms\n";
}

TEST(DeliveryResilience, RebalanceBetweenTwoInstancesLosesNothing) {
  constexpr int kMessages = 800;
  MockBroker broker;
  broker.create_topic(kTopic, 4);
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.delay = 5ms}; });
  auto calls_by = [&](const std::string& instance) {
    auto requests = service.requests();
    return std::count_if(requests.begin(), requests.end(), [&](const auto& r) { return made_by(r, instance); });
  };
  auto a = std::make_unique<CausewayProcess>(shared_broker_yaml(service, broker, "a"));
  ASSERT_TRUE(wait_assigned(*a)) << a->log();

  // A steady stream, ~100 messages a second, on a thread of its own.
  std::string producer_error;
  std::thread producer([&] {
    try {
      TopicWriter writer(broker.bootstrap());
      for (int n = 0; n < kMessages; n += 20) {
        produce(writer, n, 20, 50);
        std::this_thread::sleep_for(200ms);
      }
    } catch (const std::exception& e) {
      producer_error = e.what();
    }
  });
  std::vector<std::string> ids;
  for (int n = 0; n < kMessages; ++n) ids.push_back(id_of(n));

  EXPECT_TRUE(service.wait_requests(150, 15s));
  CausewayProcess b(shared_broker_yaml(service, broker, "b"));
  EXPECT_TRUE(eventually([&] { return calls_by("b") >= 50; }, 20s)) << "b never delivered\n" << b.log();
  const auto a_calls = calls_by("a");
  a->signal(SIGTERM);
  EXPECT_EQ(a->wait_exit(20s), 0) << a->log();
  producer.join();
  ASSERT_TRUE(producer_error.empty()) << producer_error;

  EXPECT_TRUE(all_seen(service, ids, 30s)) << "lost, e.g. " << first_of(missing(ids, seen_counts(service.requests())))
                                           << "\n" << b.log();
  auto counts = seen_counts(service.requests());
  EXPECT_GT(a_calls, 0);
  EXPECT_GT(calls_by("b"), 0);
  std::cout << "[ info     ] a called " << calls_by("a") << ", b called " << calls_by("b") << "; duplicates "
            << duplicates(counts) << "; b's causeway_deliveries_redelivered_total = "
            << metric_now(b.admin(), "causeway_deliveries_redelivered_total", kRoute) << "\n";
}

// SIGTERM while calls are in flight: they finish, their offsets are committed, and
// the next instance starts after them.
TEST(DeliveryResilience, SigtermLetsDeliveriesInFlightFinishAndCommitsThem) {
  constexpr int kMessages = 40;
  MockBroker broker;
  broker.create_topic(kTopic, 2);
  std::atomic<int> delay_ms{1000};
  ScriptedService service([&](const ServiceRequest&) { return ServiceAnswer{.delay = Duration(delay_ms.load())}; });
  auto first = std::make_unique<CausewayProcess>(shared_broker_yaml(service, broker, "first", "4", "5s"));
  TopicWriter writer(broker.bootstrap());
  auto ids = produce(writer, 0, kMessages, kMessages);
  ASSERT_TRUE(service.wait_requests(4, 15s)) << first->log();
  std::this_thread::sleep_for(100ms);  // the four calls are being answered now

  const auto signalled = Clock::now();
  first->signal(SIGTERM);
  EXPECT_EQ(first->wait_exit(8s), 0) << first->log();
  const auto drain = std::chrono::duration_cast<Duration>(Clock::now() - signalled);
  EXPECT_LT(drain, 5s + 1s) << "drain_timeout is 5s";
  EXPECT_EQ(first->log().find("still in flight at the drain deadline"), std::string::npos) << first->log();

  auto before = service.requests();
  std::set<std::string> handled;
  for (const auto& request : before) {
    EXPECT_EQ(request.status, 200) << request.body << ": a call in flight at SIGTERM must be answered, not cut off";
    handled.insert(request.body);
  }

  delay_ms.store(0);
  CausewayProcess second(shared_broker_yaml(service, broker, "second", "4", "5s"));
  ASSERT_TRUE(all_seen(service, ids, 20s)) << second.log();
  auto requests = service.requests();
  std::vector<std::string> again;
  for (const auto& request : requests) {
    if (made_by(request, "second") && handled.contains(request.body)) again.push_back(request.body);
  }
  EXPECT_TRUE(again.empty()) << again.size() << " handled message(s) delivered again after the restart, e.g. "
                             << first_of(again);
  EXPECT_EQ(metric_now(second.admin(), "causeway_deliveries_redelivered_total", kRoute), 0);
  std::cout << "[ info     ] SIGTERM with " << before.size() << " call(s) in flight; drained in " << drain.count()
            << " ms; " << requests.size() - before.size() << " calls after the restart for " << kMessages - before.size()
            << " messages left\n";
}

}  // namespace
}  // namespace causeway::testing

namespace causeway::testing {
namespace {

// The upstream's breaker guards every caller of it, deliveries too: once open, retries
// wait without reaching the failing service.
TEST(DeliveryResilience, TheUpstreamsCircuitBreakerSparesAFailingServiceFromDeliveries) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.status = 503}; });
  DeliveryConfig config{.service_url = service.url()};
  config.upstream_timeout = "2s, circuit_breaker: { failures: 2, open_for: 60s }";
  config.retry = "{ attempts: 50, backoff: 10ms, max_backoff: 20ms }";
  CausewayProcess causeway(config.yaml());
  ASSERT_TRUE(wait_assigned(causeway)) << causeway.log();
  ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c1/events", {}, "{}").status, 202);
  EXPECT_GE(metric_until(causeway.admin(), "causeway_upstream_requests_total",
                         {{"upstream", "orders"}, {"code", "unavailable"}}, [](double v) { return v >= 5; }, 15s),
            5)
      << causeway.log();
  EXPECT_EQ(service.request_count(), 2u);  // the two that opened it
  EXPECT_GE(metric_now(causeway.admin(), "causeway_deliveries_total", {{"route", kDeliveryRoute}, {"result", "retry"}}),
            5);
  // A person can follow it in the log: the breaker's opening, and the retries of the
  // storm, of which the log gets the first ten per 10 s (the metric counts them all).
  EXPECT_TRUE(causeway.wait_for_log("upstream 'orders': circuit breaker opened after 2 failure\\(s\\) in a row", 5s))
      << causeway.log();
  const std::string log = causeway.log();
  const std::regex retry_line("route '" + std::string(kDeliveryRoute) + "': \\S+ failed \\([^\\n]*attempt \\d+ of 50");
  const auto retries = std::distance(std::sregex_iterator(log.begin(), log.end(), retry_line), std::sregex_iterator());
  EXPECT_GE(retries, 2) << log;
  EXPECT_LE(retries, 11) << log;
}

}  // namespace
}  // namespace causeway::testing
