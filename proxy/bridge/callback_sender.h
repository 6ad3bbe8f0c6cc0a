#pragma once
// Reply callbacks after the reply: each accepted callback request is a job from the
// moment its request is accepted until the receiver took the reply (2xx), turned it
// away for good (410, other 4xx, 3xx), or it went to the dead letter topic after its
// attempts. Outlives config reloads like the reply waiters do: a job carries its
// route's settings and producer. Thread-safe; answers and timers come in on any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/exchange.h"
#include "bridge/message_producer.h"
#include "bridge/service_caller.h"
#include "bridge/webhook_caller.h"
#include "config/config.h"

namespace causeway::metrics {
class Counter;
class Gauge;
template <class Metric>
class Family;
class Histogram;
class Registry;
}  // namespace causeway::metrics

namespace causeway::bridge {

// A route's callback settings, shared by its jobs.
struct CallbackRoute {
  std::string route;
  config::Callback settings;
  std::shared_ptr<MessageProducer> producer;  // the route's broker, for dead letters
};

class CallbackSender : public std::enable_shared_from_this<CallbackSender> {
 public:
  // The webhook-signature header for these secrets over id, timestamp and body.
  using Signer = std::function<std::string(const std::vector<std::string>& secrets, const std::string& id,
                                           std::int64_t timestamp, const std::string& body)>;
  CallbackSender(WebhookCaller& caller, Timers& timers, metrics::Registry& registry, Signer sign);
  ~CallbackSender();

  using Ticket = std::uint64_t;
  // A callback request was accepted: pending from now on.
  Ticket open(std::shared_ptr<const CallbackRoute> route, policy::CallbackUrl url, std::string id);
  // For ReplyWaiters::Wait::notify: the reply, or the 504 at the route's timeout,
  // starts the first attempt. Holds the sender weakly.
  std::function<void(Response)> on_reply(Ticket ticket);
  // The request did not wait after all (a duplicate joined another, it was refused, or
  // it could not be produced): nothing will be sent.
  void drop(Ticket ticket);
  // A request whose callback URL was refused (400), counted as result "rejected".
  void count_rejected(const std::string& route);

  // Shutdown: callbacks waiting for a retry, and those whose reply or next attempt
  // comes from now on, go to the dead letter topic instead of being (re)sent.
  void stop_retrying();
  // True once no callback is pending, or false at the deadline.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  std::size_t pending() const;

 private:
  struct Job;
  void attempt(Ticket ticket);
  void on_result(Ticket ticket, WebhookResult result);
  void dead_letter(Ticket ticket, std::string error);
  void finish(Ticket ticket, const char* result);
  metrics::Counter& result_counter(const std::string& route, const char* result);

  WebhookCaller& caller_;
  Timers& timers_;
  Signer sign_;
  metrics::Family<metrics::Counter>& results_;
  metrics::Family<metrics::Counter>& attempts_;
  metrics::Family<metrics::Histogram>& latency_;
  metrics::Gauge& pending_gauge_;

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::unordered_map<Ticket, Job> jobs_;
  Ticket next_ticket_ = 1;
  bool stopping_ = false;
};

}  // namespace causeway::bridge
