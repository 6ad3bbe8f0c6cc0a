#include "rabbitmq/stall_watchdog.h"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace causeway::rabbitmq {

StallWatchdog::StallWatchdog(Clock::duration limit) : limit_(limit), thread_([this] { watch(); }) {}

StallWatchdog::~StallWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  detach();
}

void StallWatchdog::attach(int socket) {
  std::lock_guard lock(mutex_);
  if (socket_ >= 0) ::close(socket_);
  socket_ = socket >= 0 ? ::dup(socket) : -1;
  fired_ = false;
}

void StallWatchdog::detach() {
  std::lock_guard lock(mutex_);
  if (socket_ >= 0) ::close(socket_);
  socket_ = -1;
}

StallWatchdog::Armed::Armed(StallWatchdog& watchdog) : watchdog_(watchdog) {
  {
    std::lock_guard lock(watchdog_.mutex_);
    watchdog_.deadline_ = Clock::now() + watchdog_.limit_;
  }
  watchdog_.changed_.notify_all();
}

StallWatchdog::Armed::~Armed() {
  std::lock_guard lock(watchdog_.mutex_);
  watchdog_.deadline_.reset();
}

bool StallWatchdog::fired() {
  std::lock_guard lock(mutex_);
  return fired_;
}

void StallWatchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!deadline_) {
      changed_.wait(lock);
      continue;
    }
    const Clock::time_point deadline = *deadline_;
    changed_.wait_until(lock, deadline);
    if (deadline_ == deadline && Clock::now() >= deadline && socket_ >= 0) {
      ::shutdown(socket_, SHUT_RDWR);
      fired_ = true;
      deadline_.reset();
    }
  }
}

}  // namespace causeway::rabbitmq
