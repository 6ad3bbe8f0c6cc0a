#pragma once
// bridge::Timers on the event loops: each task runs on one of the IoThreads once its
// delay has passed. Tasks still waiting when the loops stop never run.

#include "bridge/service_caller.h"

namespace causeway::http {

class IoThreads;

class LoopTimers : public bridge::Timers {
 public:
  explicit LoopTimers(IoThreads& threads) : threads_(threads) {}
  void after(std::chrono::milliseconds delay, std::function<void()> task) override;

 private:
  IoThreads& threads_;
};

}  // namespace causeway::http
