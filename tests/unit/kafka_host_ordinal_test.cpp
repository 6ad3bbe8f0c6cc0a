#include <gtest/gtest.h>

#include "kafka/reply_consumer.h"

namespace causeway::kafka {
namespace {

TEST(HostOrdinal, TheNumberEndingTheHostName) {
  EXPECT_EQ(host_ordinal("causeway-2"), 2);
  EXPECT_EQ(host_ordinal("orders-causeway-17"), 17);
  EXPECT_EQ(host_ordinal("7"), 7);
  EXPECT_EQ(host_ordinal("web01"), 1);
  EXPECT_EQ(host_ordinal("causeway"), std::nullopt);
  EXPECT_EQ(host_ordinal(""), std::nullopt);
  EXPECT_EQ(host_ordinal("causeway-99999999999"), std::nullopt);  // not a partition number
}

}  // namespace
}  // namespace causeway::kafka
