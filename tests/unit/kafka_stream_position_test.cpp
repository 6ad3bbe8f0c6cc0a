// Stream positions (SSE ids) on Kafka: what a client resumes from, written and read back.
#include <gtest/gtest.h>

#include "kafka/stream_hub.h"

namespace causeway::kafka {
namespace {

using Offsets = std::map<std::int32_t, std::int64_t>;

TEST(StreamPosition, NamesTheMessageThenWhereTheClientIsOnEveryOtherPartition) {
  EXPECT_EQ(format_position("orders", 0, 41, {{0, 42}}), "orders/0/41");
  EXPECT_EQ(format_position("orders", 2, 7, {{0, 10}, {1, 0}, {2, 8}}), "orders/2/7,0/9,1/-1");
}

TEST(StreamPosition, ReadsBackAsTheNextOffsetWantedPerPartition) {
  EXPECT_EQ(parse_position("orders/0/41", "orders"), (Offsets{{0, 42}}));
  EXPECT_EQ(parse_position("orders/2/7,0/9,1/-1", "orders"), (Offsets{{0, 10}, {1, 0}, {2, 8}}));
  const Offsets next{{0, 10}, {1, 0}, {2, 8}};
  EXPECT_EQ(parse_position(format_position("orders", 2, 7, next), "orders"), next);
}

TEST(StreamPosition, AnythingElseIsNotAPosition) {
  for (const char* text : {"", "orders", "orders/", "orders/0", "orders/0/", "orders/a/1", "orders/0/x", "orders/0/1,",
                           "orders/0/1,2", "orders/-1/3", "orders/0/-2", "payments/0/1", "orders.created/0/1",
                           "orders/0/1 ", "orders/99999999999/1", "orders/0/9223372036854775807"}) {
    EXPECT_FALSE(parse_position(text, "orders")) << text;
  }
}

}  // namespace
}  // namespace causeway::kafka
