#include <gtest/gtest.h>

#include "bridge/key_scheduler.h"

namespace causeway::bridge {
namespace {

using Ids = std::vector<KeyScheduler::Id>;

TEST(KeyScheduler, SameKeyRunsOneAtATimeInOrder) {
  KeyScheduler scheduler(16);
  EXPECT_EQ(scheduler.add(1, "a"), (Ids{1}));
  EXPECT_EQ(scheduler.add(2, "a"), Ids{});
  EXPECT_EQ(scheduler.add(3, "b"), (Ids{3}));
  EXPECT_EQ(scheduler.add(4, "a"), Ids{});
  EXPECT_EQ(scheduler.finish(1, "a"), (Ids{2}));
  EXPECT_EQ(scheduler.finish(2, "a"), (Ids{4}));
  EXPECT_EQ(scheduler.finish(4, "a"), Ids{});
  EXPECT_EQ(scheduler.add(5, "a"), (Ids{5}));  // the key was released
}

TEST(KeyScheduler, ConcurrencyBoundsEverything) {
  KeyScheduler scheduler(2);
  EXPECT_EQ(scheduler.add(1, "a"), (Ids{1}));
  EXPECT_EQ(scheduler.add(2, std::nullopt), (Ids{2}));
  EXPECT_EQ(scheduler.add(3, "b"), Ids{});
  EXPECT_EQ(scheduler.add(4, std::nullopt), Ids{});
  EXPECT_EQ(scheduler.running(), 2u);
  EXPECT_EQ(scheduler.finish(2, std::nullopt), (Ids{3}));  // first come, first served
  EXPECT_EQ(scheduler.finish(1, "a"), (Ids{4}));
}

TEST(KeyScheduler, BackoffLendsTheSlotButKeepsTheKey) {
  KeyScheduler scheduler(1);
  EXPECT_EQ(scheduler.add(1, "a"), (Ids{1}));
  EXPECT_EQ(scheduler.add(2, "a"), Ids{});
  EXPECT_EQ(scheduler.add(3, "b"), Ids{});
  EXPECT_EQ(scheduler.backoff(1), (Ids{3}));  // b goes while a waits to retry; 2 stays behind 1
  EXPECT_EQ(scheduler.retry(1), Ids{});       // the slot is b's until it finishes
  EXPECT_EQ(scheduler.finish(3, "b"), (Ids{1}));
  EXPECT_EQ(scheduler.finish(1, "a"), (Ids{2}));
}

}  // namespace
}  // namespace causeway::bridge
