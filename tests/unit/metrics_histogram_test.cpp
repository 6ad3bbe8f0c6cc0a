#include "metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace causeway::metrics {
namespace {

using ::testing::ElementsAre;

TEST(MetricsHistogram, LatencyBucketsSpanHalfAMillisecondToTenSeconds) {
  EXPECT_THAT(latency_buckets(),
              ElementsAre(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10));
}

TEST(MetricsHistogram, ValueEqualToABoundGoesIntoThatBucket) {
  Histogram histogram({0.5, 1, 2});
  histogram.observe(0.5);
  histogram.observe(1);
  histogram.observe(2);
  const auto snapshot = histogram.snapshot();
  EXPECT_THAT(snapshot.cumulative_counts, ElementsAre(1, 2, 3, 3));
  EXPECT_EQ(snapshot.count, 3u);
  EXPECT_EQ(snapshot.sum, 3.5);
}

TEST(MetricsHistogram, ValuesBetweenBelowAndAboveTheBounds) {
  Histogram histogram({0.5, 1, 2});
  histogram.observe(-3);      // below every bound: first bucket
  histogram.observe(0.5001);  // just above a bound: the next one
  histogram.observe(2.0001);  // above the last bound: only +Inf
  histogram.observe(INFINITY);
  histogram.observe(NAN);  // counted in +Inf only, like client_golang
  EXPECT_THAT(histogram.snapshot().cumulative_counts, ElementsAre(1, 2, 2, 5));
  EXPECT_EQ(histogram.snapshot().count, 5u);
}

TEST(MetricsHistogram, SnapshotCarriesBoundsAndStartsEmpty) {
  Histogram histogram({1, 10});
  const auto snapshot = histogram.snapshot();
  EXPECT_THAT(snapshot.upper_bounds, ElementsAre(1, 10));
  EXPECT_THAT(snapshot.cumulative_counts, ElementsAre(0, 0, 0));
  EXPECT_EQ(snapshot.sum, 0);
  EXPECT_EQ(snapshot.count, 0u);
}

TEST(MetricsHistogram, RejectsBoundsThatAreNotStrictlyAscendingOrNotFinite) {
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({NAN}), std::invalid_argument);
  EXPECT_THROW(Histogram({-INFINITY, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({INFINITY, INFINITY}), std::invalid_argument);
  Registry registry;
  EXPECT_THROW(registry.histogram("h_seconds", "h", {"route"}, {1, 0.5}), std::invalid_argument);
}

TEST(MetricsHistogram, TrailingInfinityBoundIsImplied) {
  Histogram histogram({1, INFINITY});
  EXPECT_THAT(histogram.snapshot().upper_bounds, ElementsAre(1));
  EXPECT_THAT(histogram.snapshot().cumulative_counts, ElementsAre(0, 0));
}

TEST(MetricsHistogram, UnlabelledHistogramRendersBucketsSumAndCount) {
  Registry registry;
  auto& family = registry.histogram("causeway_produce_duration_seconds", "Enqueue to ack.", {}, {0.0005, 1, 10});
  family.with({}).observe(0.0005);
  family.with({}).observe(0.25);
  family.with({}).observe(12);
  EXPECT_EQ(registry.render(),
            "# HELP causeway_produce_duration_seconds Enqueue to ack.\n"
            "# TYPE causeway_produce_duration_seconds histogram\n"
            "causeway_produce_duration_seconds_bucket{le=\"0.0005\"} 1\n"
            "causeway_produce_duration_seconds_bucket{le=\"1\"} 2\n"
            "causeway_produce_duration_seconds_bucket{le=\"10\"} 2\n"
            "causeway_produce_duration_seconds_bucket{le=\"+Inf\"} 3\n"
            "causeway_produce_duration_seconds_sum 12.2505\n"
            "causeway_produce_duration_seconds_count 3\n");
}

TEST(MetricsHistogram, UnlabelledHistogramShowsZerosBeforeAnyObservation) {
  Registry registry;
  registry.histogram("h_seconds", "h", {}, {2.5});
  EXPECT_EQ(registry.render(),
            "# HELP h_seconds h\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"2.5\"} 0\n"
            "h_seconds_bucket{le=\"+Inf\"} 0\n"
            "h_seconds_sum 0\n"
            "h_seconds_count 0\n");
}

TEST(MetricsHistogram, LabelledHistogramPutsLeAfterTheFamilyLabels) {
  Registry registry;
  auto& family = registry.histogram("causeway_request_duration_seconds", "Request latency.", {"route"}, {0.1, 1});
  family.with({"orders"}).observe(0.1);
  family.with({"accounts"}).observe(5);
  family.with({"accounts"}).observe(0.5);
  EXPECT_EQ(registry.render(),
            "# HELP causeway_request_duration_seconds Request latency.\n"
            "# TYPE causeway_request_duration_seconds histogram\n"
            "causeway_request_duration_seconds_bucket{route=\"accounts\",le=\"0.1\"} 0\n"
            "causeway_request_duration_seconds_bucket{route=\"accounts\",le=\"1\"} 1\n"
            "causeway_request_duration_seconds_bucket{route=\"accounts\",le=\"+Inf\"} 2\n"
            "causeway_request_duration_seconds_sum{route=\"accounts\"} 5.5\n"
            "causeway_request_duration_seconds_count{route=\"accounts\"} 2\n"
            "causeway_request_duration_seconds_bucket{route=\"orders\",le=\"0.1\"} 1\n"
            "causeway_request_duration_seconds_bucket{route=\"orders\",le=\"1\"} 1\n"
            "causeway_request_duration_seconds_bucket{route=\"orders\",le=\"+Inf\"} 1\n"
            "causeway_request_duration_seconds_sum{route=\"orders\"} 0.1\n"
            "causeway_request_duration_seconds_count{route=\"orders\"} 1\n");
}

TEST(MetricsHistogram, ConcurrentObservationsAddUpExactly) {
  Histogram histogram(latency_buckets());
  constexpr int kThreads = 4;
  constexpr int kObservations = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Whole numbers keep the double sum exact whatever the interleaving.
    threads.emplace_back([&histogram] {
      for (int i = 0; i < kObservations; ++i) histogram.observe(i % 2 == 0 ? 1.0 : 3.0);
    });
  }
  for (auto& thread : threads) thread.join();
  const auto snapshot = histogram.snapshot();
  constexpr std::uint64_t kTotal = std::uint64_t{kThreads} * kObservations;
  EXPECT_EQ(snapshot.count, kTotal);
  EXPECT_EQ(snapshot.sum, 2.0 * kTotal);
  // le="1" holds the ones, le="5" adds the threes.
  EXPECT_EQ(snapshot.cumulative_counts[10], kTotal / 2);
  EXPECT_EQ(snapshot.cumulative_counts[12], kTotal);
}

}  // namespace
}  // namespace causeway::metrics
