// The log's budget per kind of line: a storm is cut short and summed up afterwards.
#include <gtest/gtest.h>

#include "policy/log_budget.h"

namespace causeway::policy {
namespace {

using namespace std::chrono_literals;

TEST(LogBudget, AStormLogsItsFirstLinesThenSaysHowManyWereLeftOut) {
  LogBudget budget(3, 10s);
  const auto start = LogBudget::Clock::time_point{} + 1h;
  int logged = 0;
  for (int i = 0; i < 100; ++i) logged += budget.take("route a: retry", start + std::chrono::milliseconds(i)).has_value();
  EXPECT_EQ(logged, 3);
  // Another kind has a budget of its own.
  EXPECT_EQ(budget.take("route b: retry", start + 1s), 0u);
  // The next window's first line carries the count.
  EXPECT_EQ(budget.take("route a: retry", start + 10s), 97u);
  EXPECT_EQ(budget.take("route a: retry", start + 10s + 1ms), 0u);
  EXPECT_EQ(left_out_note(97), " (97 more like it were left out)");
  EXPECT_EQ(left_out_note(0), "");
}

}  // namespace
}  // namespace causeway::policy
