#include <gtest/gtest.h>

#include "bridge/trace_context.h"

namespace causeway::bridge {
namespace {

const std::string kParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(TraceContext, ContinuesTheCallersTraceWithANewSpan) {
  std::string state = "vendor=1";
  auto context = continue_trace(&kParent, &state);
  EXPECT_TRUE(valid_traceparent(context.traceparent));
  EXPECT_EQ(context.traceparent.substr(0, 36), "00-0af7651916cd43dd8448eb211c80319c-");
  EXPECT_NE(context.traceparent.substr(36, 16), "b7ad6b7169203331");
  EXPECT_EQ(context.traceparent.substr(52), "-01");
  EXPECT_EQ(context.tracestate, "vendor=1");
}

TEST(TraceContext, StartsATraceWithoutAValidParent) {
  std::string bad = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331";
  std::string state = "vendor=1";
  auto context = continue_trace(&bad, &state);
  EXPECT_TRUE(valid_traceparent(context.traceparent));
  EXPECT_EQ(context.traceparent.substr(0, 3), "00-");
  EXPECT_EQ(context.traceparent.substr(52), "-01");
  EXPECT_NE(context.traceparent.substr(3, 32), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_FALSE(context.tracestate.has_value());
  EXPECT_NE(continue_trace(nullptr, nullptr).traceparent, continue_trace(nullptr, nullptr).traceparent);
}

TEST(TraceContext, Validation) {
  EXPECT_TRUE(valid_traceparent(kParent));
  EXPECT_FALSE(valid_traceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
  EXPECT_FALSE(valid_traceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"));
  EXPECT_FALSE(valid_traceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(valid_traceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"));
  EXPECT_FALSE(valid_traceparent(kParent + "-extra"));  // version 00 has exactly four fields
  EXPECT_TRUE(valid_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"));
  EXPECT_FALSE(valid_traceparent(""));
}

}  // namespace
}  // namespace causeway::bridge
