#pragma once
// A broker connection and the thread that runs its ConnectionLoop. The loop is shared
// with the thread, so that dropping the last handle on the I/O thread itself (a callback
// holding it) lets the thread finish on its own instead of joining itself.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "rabbitmq/connection_loop.h"

namespace causeway::rabbitmq {

class RabbitConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts the thread and waits up to connect_timeout for the first connection.
  RabbitConnection(std::string broker, ConnectionLoop::Role role, std::shared_ptr<const RabbitSettings> settings,
                   config::WireHeaders wire, RabbitMetrics metrics);
  ~RabbitConnection();  // closes: whatever is pending is answered first
  RabbitConnection(const RabbitConnection&) = delete;
  RabbitConnection& operator=(const RabbitConnection&) = delete;

  ConnectionLoop& loop() { return *loop_; }
  bool post(std::function<void(ConnectionLoop&)> task);
  // Runs `task` on the I/O thread (at once when called there) and waits for it until
  // the deadline (time_point::max(): however long); false when it did not run by then.
  // The task must own what it uses.
  bool call(std::function<void(ConnectionLoop&)> task, Clock::time_point deadline);

 private:
  std::shared_ptr<ConnectionLoop> loop_;
  std::thread thread_;
};

}  // namespace causeway::rabbitmq
