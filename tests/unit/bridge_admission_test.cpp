#include <gtest/gtest.h>

#include "bridge/admission.h"

namespace causeway::bridge {
namespace {

using namespace std::chrono_literals;
const SteadyClock::time_point t0 = SteadyClock::time_point{} + 1h;

TEST(TokenBucket, BurstThenRate) {
  TokenBucket bucket(10, 3);  // 10/s, 3 at once
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));
  auto wait = bucket.take(t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 100ms);
  EXPECT_TRUE(bucket.take(t0 + 50ms));   // half a token
  EXPECT_FALSE(bucket.take(t0 + 100ms));  // refilled one
  EXPECT_FALSE(bucket.take(t0 + 10s));    // never more than the burst...
  EXPECT_FALSE(bucket.take(t0 + 10s));
  EXPECT_FALSE(bucket.take(t0 + 10s));
  EXPECT_TRUE(bucket.take(t0 + 10s));
}

TEST(ConcurrencyLimit, CountsWhoIsIn) {
  ConcurrencyLimit limit(2);
  EXPECT_TRUE(limit.enter());
  EXPECT_TRUE(limit.enter());
  EXPECT_FALSE(limit.enter());
  limit.leave();
  EXPECT_TRUE(limit.enter());
  EXPECT_EQ(limit.inside(), 2u);
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndProbes) {
  CircuitBreaker breaker(3, 10s);
  breaker.failed(t0);
  breaker.failed(t0);
  breaker.succeeded();  // not in a row
  breaker.failed(t0);
  breaker.failed(t0);
  EXPECT_TRUE(breaker.allow(t0));
  breaker.failed(t0);
  EXPECT_EQ(breaker.state(t0), CircuitBreaker::State::open);
  EXPECT_FALSE(breaker.allow(t0 + 5s));
  EXPECT_EQ(breaker.retry_after(t0 + 4s), 6s);
  EXPECT_TRUE(breaker.allow(t0 + 10s));   // the probe
  EXPECT_FALSE(breaker.allow(t0 + 10s));  // only one
  breaker.failed(t0 + 11s);               // the probe failed: open again
  EXPECT_FALSE(breaker.allow(t0 + 12s));
  EXPECT_TRUE(breaker.allow(t0 + 21s));
  breaker.succeeded();
  EXPECT_EQ(breaker.state(t0 + 21s), CircuitBreaker::State::closed);
  EXPECT_TRUE(breaker.allow(t0 + 21s));
  EXPECT_TRUE(breaker.allow(t0 + 21s));
}

TEST(CircuitBreaker, StatesReadAsTheDashboardShowsThem) {
  CircuitBreaker breaker(1, 10s);
  EXPECT_EQ(to_string(breaker.state(t0)), "closed");
  breaker.failed(t0);
  EXPECT_EQ(to_string(breaker.state(t0)), "open");
  EXPECT_EQ(to_string(breaker.state(t0 + 10s)), "half-open");
}

}  // namespace
}  // namespace causeway::bridge
