// The watchdog shuts a stalled connection's socket down, and only while it is armed.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "rabbitmq/stall_watchdog.h"

namespace causeway::rabbitmq {
namespace {

using namespace std::chrono_literals;

// The peer's end reads EOF once our end was shut down.
bool shut_down_within(int peer, std::chrono::milliseconds timeout) {
  pollfd ready{peer, POLLIN, 0};
  if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return false;
  char byte;
  return ::read(peer, &byte, 1) == 0;
}

TEST(StallWatchdog, ARoundThatTakesTooLongLosesItsSocket) {
  int sockets[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets), 0);
  StallWatchdog watchdog(20ms);
  watchdog.attach(sockets[0]);
  {
    const StallWatchdog::Armed armed(watchdog);
    EXPECT_TRUE(shut_down_within(sockets[1], 10s));  // the round "blocks" here
  }
  EXPECT_TRUE(watchdog.fired());
  watchdog.detach();
  ::close(sockets[0]);
  ::close(sockets[1]);
}

TEST(StallWatchdog, AttachingANewSocketStartsAfresh) {
  int first[2];
  int second[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, first), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, second), 0);
  StallWatchdog watchdog(20ms);
  watchdog.attach(first[0]);
  {
    const StallWatchdog::Armed armed(watchdog);
    ASSERT_TRUE(shut_down_within(first[1], 10s));
  }
  watchdog.attach(second[0]);
  EXPECT_FALSE(watchdog.fired());
  // The descriptor the library had may be closed and reused: the watchdog holds its own.
  ::close(first[0]);
  {
    const StallWatchdog::Armed armed(watchdog);
    EXPECT_TRUE(shut_down_within(second[1], 10s));
  }
  for (int fd : {first[1], second[0], second[1]}) ::close(fd);
}

}  // namespace
}  // namespace causeway::rabbitmq
