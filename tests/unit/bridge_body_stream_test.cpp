// The bounded body of a stream response and the text/event-stream framing of events.
#include <gtest/gtest.h>

#include <thread>

#include "bridge/body_stream.h"
#include "bridge/stream_flow.h"

namespace causeway::bridge {
namespace {

using namespace std::chrono_literals;

TEST(BodyStream, HandsOverWhatWasPushedInOrderAndWakesTheReaderOnce) {
  BodyStream stream(1024, 15s, ": hb\n\n");
  int woken = 0;
  stream.when_ready([&] { ++woken; });
  EXPECT_TRUE(stream.push("a"));
  EXPECT_TRUE(stream.push("b"));
  EXPECT_EQ(woken, 1);
  auto taken = stream.take();
  EXPECT_EQ(taken.chunks, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(taken.ended);
  EXPECT_EQ(stream.buffered(), 0u);
  // Something already there: the reader is called at once.
  stream.push("c");
  stream.when_ready([&] { ++woken; });
  EXPECT_EQ(woken, 2);
}

TEST(BodyStream, APushPastTheBoundEndsItAsASlowReaderAndDropsWhatItHeld) {
  BodyStream stream(10, 15s, "");
  std::string reason;
  stream.on_end([&](const std::string& why) { reason = why; });
  EXPECT_TRUE(stream.push("12345"));
  EXPECT_TRUE(stream.push("12345"));
  EXPECT_FALSE(stream.push("1"));
  EXPECT_EQ(reason, BodyStream::kSlowReader);
  auto taken = stream.take();
  EXPECT_TRUE(taken.chunks.empty());
  EXPECT_EQ(taken.ended, BodyStream::kSlowReader);
  EXPECT_FALSE(stream.push("x"));  // nothing more once ended
}

TEST(BodyStream, TheFirstEndStaysAndEveryEndCallbackRunsOnceEvenWhenAddedLate) {
  BodyStream stream(100, 15s, "");
  std::vector<std::string> calls;
  stream.on_end([&](const std::string& why) { calls.push_back("count " + why); });
  stream.on_end([&](const std::string& why) { calls.push_back("slot " + why); });
  stream.push("tail");
  stream.end(BodyStream::kDraining);
  stream.end(BodyStream::kBroker);
  stream.on_end([&](const std::string& why) { calls.push_back("late " + why); });
  EXPECT_EQ(calls, (std::vector<std::string>{"count draining", "slot draining", "late draining"}));
  auto taken = stream.take();
  EXPECT_EQ(taken.chunks, (std::vector<std::string>{"tail"}));  // written before the stream closes
  EXPECT_EQ(taken.ended, BodyStream::kDraining);
}

TEST(BodyStream, DroppedUnendedItTellsItsProducerTheClientClosed) {
  std::string reason;
  {
    BodyStream stream(100, 15s, "");
    stream.on_end([&](const std::string& why) { reason = why; });
  }
  EXPECT_EQ(reason, BodyStream::kClientClosed);
}

TEST(BodyStream, PushesFromManyThreadsAreAllHandedOver) {
  BodyStream stream(1 << 20, 15s, "");
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) stream.push("x");
    });
  }
  std::size_t got = 0;
  while (got < 4000) {
    for (auto& chunk : stream.take().chunks) got += chunk.size();
  }
  for (auto& producer : producers) producer.join();
  EXPECT_EQ(got, 4000u);
}

TEST(SseEvent, FramesIdTypeAndOneDataLinePerLine) {
  EXPECT_EQ(sse_event("t/0/5", "orders", R"({"a":1})"), "id: t/0/5\nevent: orders\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sse_event("i", "e", "one\ntwo\r\nthree\rfour"), "id: i\nevent: e\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
  EXPECT_EQ(sse_event("i", "e", ""), "id: i\nevent: e\ndata: \n\n");
  EXPECT_EQ(sse_event("i", "e", "last\n"), "id: i\nevent: e\ndata: last\n\n");
  EXPECT_EQ(sse_event("i", "e", "\n\n"), "id: i\nevent: e\ndata: \ndata: \n\n");
  // A line break in a header value cannot open a field of its own.
  EXPECT_EQ(sse_event("a\nid: b", "x\r\ndata: forged", "v"), "id: a id: b\nevent: x  data: forged\ndata: v\n\n");
}

TEST(SseEvent, TheTypeIsTheTypeHeaderThenCloudEventsTypeThenTheTopic) {
  InboundMessage message;
  message.topic = "orders.created";
  EXPECT_EQ(event_type(message), "orders.created");
  message.headers.push_back({"ce_type", "com.example.order"});
  EXPECT_EQ(event_type(message), "com.example.order");
  message.headers.push_back({"type", "order.shipped"});
  EXPECT_EQ(event_type(message), "order.shipped");
}

}  // namespace
}  // namespace causeway::bridge
