#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace causeway::metrics {
namespace {

TEST(MetricsRegistry, UnlabelledCounterShowsZeroBeforeAnyUpdate) {
  Registry registry;
  registry.counter("causeway_replies_orphaned_total", "Replies with no waiting request.");
  EXPECT_EQ(registry.render(),
            "# HELP causeway_replies_orphaned_total Replies with no waiting request.\n"
            "# TYPE causeway_replies_orphaned_total counter\n"
            "causeway_replies_orphaned_total 0\n");
}

TEST(MetricsRegistry, LabelledCounterSamplesAreSortedByLabelValues) {
  Registry registry;
  auto& requests = registry.counter("causeway_requests_total", "Requests by route and status.", {"route", "code"});
  requests.with({"orders", "500"}).inc();
  requests.with({"accounts", "200"}).inc(3);
  requests.with({"orders", "200"}).inc(18446744073709551615ULL);  // full uint64 range, printed exactly
  EXPECT_EQ(registry.render(),
            "# HELP causeway_requests_total Requests by route and status.\n"
            "# TYPE causeway_requests_total counter\n"
            "causeway_requests_total{route=\"accounts\",code=\"200\"} 3\n"
            "causeway_requests_total{route=\"orders\",code=\"200\"} 18446744073709551615\n"
            "causeway_requests_total{route=\"orders\",code=\"500\"} 1\n");
}

TEST(MetricsRegistry, LabelledFamilyWithoutChildrenPrintsOnlyHeader) {
  Registry registry;
  registry.gauge("causeway_consumer_lag", "Messages behind the high watermark.", {"route", "partition"});
  EXPECT_EQ(registry.render(),
            "# HELP causeway_consumer_lag Messages behind the high watermark.\n"
            "# TYPE causeway_consumer_lag gauge\n");
}

TEST(MetricsRegistry, GaugeValuesUseShortestRoundTripSpelling) {
  Registry registry;
  auto& gauge = registry.gauge("g", "h", {"case"});
  gauge.with({"a_half"}).set(0.5);
  gauge.with({"b_negative"}).set(-2.25);
  gauge.with({"c_sum"}).set(0.1 + 0.2);
  gauge.with({"d_big"}).set(123456789);
  gauge.with({"e_tiny"}).set(1e-05);
  gauge.with({"f_huge"}).set(1e21);
  gauge.with({"g_pos_inf"}).set(INFINITY);
  gauge.with({"h_neg_inf"}).set(-INFINITY);
  gauge.with({"i_nan"}).set(NAN);
  gauge.with({"j_small"}).set(0.0005);
  EXPECT_EQ(registry.render(),
            "# HELP g h\n"
            "# TYPE g gauge\n"
            "g{case=\"a_half\"} 0.5\n"
            "g{case=\"b_negative\"} -2.25\n"
            "g{case=\"c_sum\"} 0.30000000000000004\n"
            "g{case=\"d_big\"} 123456789\n"
            "g{case=\"e_tiny\"} 1e-05\n"
            "g{case=\"f_huge\"} 1e+21\n"
            "g{case=\"g_pos_inf\"} +Inf\n"
            "g{case=\"h_neg_inf\"} -Inf\n"
            "g{case=\"i_nan\"} NaN\n"
            "g{case=\"j_small\"} 0.0005\n");
}

TEST(MetricsRegistry, GaugeAddAccumulates) {
  Registry registry;
  auto& pending = registry.gauge("causeway_replies_pending", "Requests waiting for a reply.").with({});
  pending.add(2);
  pending.add(-0.5);
  EXPECT_EQ(pending.value(), 1.5);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelpText) {
  Registry registry;
  registry.counter("c_total", "back\\slash \"quoted\"\nsecond line", {"path"}).with({"a\\b\"c\nd"}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP c_total back\\\\slash \"quoted\"\\nsecond line\n"
            "# TYPE c_total counter\n"
            "c_total{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsRegistry, EscapeLabelValueLeavesOtherBytesAlone) {
  EXPECT_EQ(escape_label_value("plain/path?x=1&y=ü\t"), "plain/path?x=1&y=ü\t");
  EXPECT_EQ(escape_label_value("\\\"\n"), "\\\\\\\"\\n");
}

TEST(MetricsRegistry, FamiliesRenderInRegistrationOrderThenCollectors) {
  Registry registry;
  registry.add_collector([](std::string& out) { out += "collected 1\n"; });
  registry.gauge("zeta", "last name, first registered").with({}).set(1);
  registry.counter("alpha_total", "first name, second registered");
  EXPECT_EQ(registry.render(),
            "# HELP zeta last name, first registered\n"
            "# TYPE zeta gauge\n"
            "zeta 1\n"
            "# HELP alpha_total first name, second registered\n"
            "# TYPE alpha_total counter\n"
            "alpha_total 0\n"
            "collected 1\n");
}

TEST(MetricsRegistry, CollectorMayRegisterWhileRendering) {
  Registry registry;
  registry.add_collector([&registry](std::string&) { registry.counter("late_total", "registered at scrape"); });
  registry.render();
  EXPECT_NE(registry.render().find("late_total 0\n"), std::string::npos);
}

TEST(MetricsRegistry, AppendScalarFamilyWritesHeaderAndOneSample) {
  std::string out;
  append_scalar_family(out, "process_cpu_seconds_total", "counter", "CPU\ntime", 1.25);
  EXPECT_EQ(out,
            "# HELP process_cpu_seconds_total CPU\\ntime\n"
            "# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total 1.25\n");
}

TEST(MetricsRegistry, SameNameAndTypeReturnsTheExistingFamily) {
  Registry registry;
  auto& first = registry.counter("x_total", "first help", {"route"});
  auto& second = registry.counter("x_total", "other help", {"route"});
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(second.help(), "first help");
}

TEST(MetricsRegistry, SameNameWithAnotherTypeOrOtherLabelsThrows) {
  Registry registry;
  registry.counter("x_total", "h", {"route"});
  EXPECT_THROW(registry.gauge("x_total", "h", {"route"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("x_total", "h", {"route"}, latency_buckets()), std::invalid_argument);
  EXPECT_THROW(registry.counter("x_total", "h", {"code"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("x_total", "h"), std::invalid_argument);
}

TEST(MetricsRegistry, RejectsInvalidMetricNames) {
  Registry registry;
  for (const char* name : {"", "1abc", "has-dash", "has space", "dot.ted", "ü"}) {
    EXPECT_THROW(registry.counter(name, "h"), std::invalid_argument) << name;
  }
  EXPECT_NO_THROW(registry.counter("_under:colon_9", "h"));
  EXPECT_NO_THROW(registry.gauge(":leading_colon", "h"));
}

TEST(MetricsRegistry, RejectsInvalidLabelNames) {
  Registry registry;
  for (const char* label : {"", "9lives", "with:colon", "with-dash"}) {
    EXPECT_THROW(registry.counter("c_total", "h", {label}), std::invalid_argument) << label;
  }
  EXPECT_THROW(registry.counter("c_total", "h", {"route", "route"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h_seconds", "h", {"le"}, {1}), std::invalid_argument);
  EXPECT_NO_THROW(registry.counter("c_total", "h", {"_route9"}));
}

TEST(MetricsRegistry, WithRequiresOneValuePerLabelName) {
  Registry registry;
  auto& family = registry.counter("c_total", "h", {"route", "code"});
  EXPECT_THROW(family.with({"only_route"}), std::invalid_argument);
  EXPECT_THROW(family.with({"a", "b", "c"}), std::invalid_argument);
  EXPECT_THROW(family.with(std::vector<std::string>{}), std::invalid_argument);
  EXPECT_THROW(registry.counter("u_total", "h").with({"unexpected"}), std::invalid_argument);
}

TEST(MetricsRegistry, ChildReferencesStayValidAsFamilyGrows) {
  Registry registry;
  auto& family = registry.counter("c_total", "h", {"n"});
  Counter& first = family.with({"0"});
  for (int i = 1; i < 1000; ++i) family.with({std::to_string(i)}).inc();
  first.inc(7);
  EXPECT_EQ(&family.with(std::vector<std::string>{"0"}), &first);
  EXPECT_EQ(family.with({"0"}).value(), 7u);
}

TEST(MetricsRegistry, ConcurrentIncrementsAddUpExactly) {
  Registry registry;
  auto& family = registry.counter("c_total", "h", {"route"});
  constexpr int kThreads = 4;
  constexpr int kIncrements = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Half the work looks the child up every time, to race child creation as well.
    threads.emplace_back([&family] {
      Counter& kept = family.with({"kept"});
      for (int i = 0; i < kIncrements; ++i) {
        kept.inc();
        family.with({"looked_up"}).inc(2);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.with({"kept"}).value(), std::uint64_t{kThreads} * kIncrements);
  EXPECT_EQ(family.with({"looked_up"}).value(), std::uint64_t{2} * kThreads * kIncrements);
}

TEST(MetricsRegistry, ConcurrentGaugeAddsAddUpExactly) {
  Registry registry;
  Gauge& gauge = registry.gauge("g", "h").with({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&gauge] {
      for (int i = 0; i < 50000; ++i) gauge.add(1);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(gauge.value(), 200000.0);
}

}  // namespace
}  // namespace causeway::metrics
