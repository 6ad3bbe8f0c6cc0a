#include <gtest/gtest.h>

#include "kafka/offset_tracker.h"

namespace causeway::kafka {
namespace {

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

}  // namespace
}  // namespace causeway::kafka
