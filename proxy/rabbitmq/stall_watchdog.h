#pragma once
// rabbitmq-c 0.11 writes with no deadline: a broker that stops reading (frozen, or its
// host gone without a FIN) leaves amqp_basic_publish, and any method sent, waiting for
// socket space forever, and heartbeats cannot help a thread that is not running. So the
// I/O thread arms this around each round of its work; when a round takes longer than
// the limit, the watchdog shuts the socket down from its own thread, the blocked write
// fails, and the loop reconnects. It holds a dup of the socket, so the descriptor it
// shuts down can never be one the library closed and the process reused.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace causeway::rabbitmq {

class StallWatchdog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StallWatchdog(Clock::duration limit);
  ~StallWatchdog();
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

  void attach(int socket);  // a new connection's socket
  void detach();            // before that connection goes

  // While it lives, the attached socket is shut down if it is not destroyed within the limit.
  class Armed {
   public:
    explicit Armed(StallWatchdog& watchdog);
    ~Armed();
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;

   private:
    StallWatchdog& watchdog_;
  };

  // Whether it shut the socket down since it was attached.
  bool fired();

 private:
  void watch();

  const Clock::duration limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Clock::time_point> deadline_;
  int socket_ = -1;
  bool fired_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace causeway::rabbitmq
