#include <gtest/gtest.h>

#include "bridge/key_scheduler.h"
#include "bridge/offset_tracker.h"

namespace causeway::bridge {
namespace {

using Ids = std::vector<KeyScheduler::Id>;

TEST(OffsetTracker, CommitsOnlyPastHandledPrefix) {
  OffsetTracker tracker;
  EXPECT_EQ(tracker.commit_point(), std::nullopt);
  for (std::int64_t offset = 10; offset < 15; ++offset) tracker.started(offset);
  EXPECT_EQ(tracker.commit_point(), 10);
  tracker.handled(12);
  tracker.handled(11);
  EXPECT_EQ(tracker.commit_point(), 10);  // 10 still unhandled: a restart must read it again
  tracker.handled(10);
  EXPECT_EQ(tracker.commit_point(), 13);
  tracker.handled(14);
  tracker.handled(13);
  EXPECT_EQ(tracker.commit_point(), 15);  // everything handled: the next one to read
  EXPECT_EQ(tracker.unhandled(), 0u);
}

TEST(OffsetTracker, GapsInOffsetsDoNotHold) {
  OffsetTracker tracker;  // compacted topics and transactions leave gaps
  tracker.started(3);
  tracker.started(7);
  tracker.handled(3);
  EXPECT_EQ(tracker.commit_point(), 7);
  tracker.handled(7);
  EXPECT_EQ(tracker.commit_point(), 8);
}

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
