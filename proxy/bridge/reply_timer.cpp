#include "bridge/reply_timer.h"

#include <pthread.h>

#include <chrono>

namespace causeway::bridge {

ReplyTimer::ReplyTimer(ReplyWaiters& waiters, FlowMetrics& metrics) : waiters_(waiters), metrics_(metrics) {
  thread_ = std::thread([this] {
    while (running_.load(std::memory_order_relaxed)) {
      for (const auto& route : waiters_.expire(std::chrono::steady_clock::now())) {
        metrics_.reply_timeouts.with({route}).inc();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  pthread_setname_np(thread_.native_handle(), "cw-reply-timer");
}

ReplyTimer::~ReplyTimer() {
  running_.store(false);
  thread_.join();
}

}  // namespace causeway::bridge
