// How other threads hand work to a connection's I/O thread: in order, none lost, none
// run after close, and the eventfd readable exactly while tasks wait.
#include <gtest/gtest.h>
#include <poll.h>

#include <thread>
#include <vector>

#include "rabbitmq/task_queue.h"

namespace causeway::rabbitmq {
namespace {

bool readable(int fd) {
  pollfd ready{fd, POLLIN, 0};
  return ::poll(&ready, 1, 0) == 1;
}

TEST(TaskQueue, TasksComeOutInOrderAndTheFdSaysWhenTheyWait) {
  TaskQueue queue;
  EXPECT_FALSE(readable(queue.fd()));
  std::vector<int> ran;
  ASSERT_TRUE(queue.post([&] { ran.push_back(1); }));
  ASSERT_TRUE(queue.post([&] { ran.push_back(2); }));
  EXPECT_TRUE(readable(queue.fd()));
  for (auto& task : queue.take()) task();
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_FALSE(readable(queue.fd()));
  EXPECT_TRUE(queue.take().empty());
}

TEST(TaskQueue, NothingPostedFromManyThreadsIsLost) {
  TaskQueue queue;
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) queue.post([&] { ++ran; });
    });
  }
  int taken = 0;
  while (taken < 4000) {
    pollfd ready{queue.fd(), POLLIN, 0};
    ::poll(&ready, 1, 1000);
    for (auto& task : queue.take()) {
      task();
      ++taken;
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ran.load(), 4000);
}

TEST(TaskQueue, CloseHandsBackWhatWaitsAndRefusesMore) {
  TaskQueue queue;
  bool ran = false;
  queue.post([&] { ran = true; });
  auto left = queue.close();
  ASSERT_EQ(left.size(), 1u);
  left.front()();
  EXPECT_TRUE(ran);
  EXPECT_FALSE(queue.post([] {}));
  EXPECT_TRUE(queue.take().empty());
}

}  // namespace
}  // namespace causeway::rabbitmq
