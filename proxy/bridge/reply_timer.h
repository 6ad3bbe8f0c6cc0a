#pragma once
// Runs ReplyWaiters' deadlines: a thread that expires what is due every 10 ms, so a
// timeout is answered at most that late.

#include <atomic>
#include <thread>

#include "bridge/flow_metrics.h"
#include "bridge/reply_waiters.h"

namespace causeway::bridge {

class ReplyTimer {
 public:
  ReplyTimer(ReplyWaiters& waiters, FlowMetrics& metrics);
  ~ReplyTimer();
  ReplyTimer(const ReplyTimer&) = delete;
  ReplyTimer& operator=(const ReplyTimer&) = delete;

 private:
  ReplyWaiters& waiters_;
  FlowMetrics& metrics_;
  std::atomic<bool> running_{true};
  std::thread thread_;
};

}  // namespace causeway::bridge
