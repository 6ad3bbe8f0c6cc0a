#pragma once
// Fakes of the ports the flows talk to, for flow tests that run in microseconds: a
// publisher that records messages and answers when told, a service that answers from
// a script, timers that run when the test says, an acknowledgement that counts.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bridge/message_producer.h"
#include "bridge/message_source.h"
#include "bridge/service_caller.h"

namespace causeway::bridge::testing {

// Records every message; answers each with `outcome` at once, or holds the reports
// until release() when `hold` is set.
class FakeProducer : public MessageProducer {
 public:
  DeliveryReport::Outcome outcome = DeliveryReport::Outcome::stored;
  bool hold = false;
  std::optional<std::string> refuse_names_with;  // invalid_destination() for names containing it
  bool offset_unknown = false;  // stored, with no offset (librdkafka's -1001 for an implicit acknowledgement)

  void produce(OutboundMessage message, OnDelivery on_delivery) override {
    std::unique_lock lock(mutex_);
    sent_.push_back(message);
    if (hold) {
      held_.push_back(std::move(on_delivery));
      return;
    }
    DeliveryReport report{outcome, 0, offset_unknown ? -1001 : static_cast<std::int64_t>(sent_.size() - 1), ""};
    if (outcome != DeliveryReport::Outcome::stored) report.error = "refused by the fake";
    lock.unlock();
    on_delivery(report);
  }
  std::optional<std::string> invalid_destination(std::string_view name) const override {
    if (refuse_names_with && name.find(*refuse_names_with) != std::string_view::npos) return "not allowed here";
    return std::nullopt;
  }
  // Answers the held reports with `with`.
  void release(DeliveryReport::Outcome with) {
    std::vector<OnDelivery> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& done : held) done(DeliveryReport{with, 0, 0, with == DeliveryReport::Outcome::stored ? "" : "fake"});
  }
  std::vector<OutboundMessage> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<OutboundMessage> sent_;
  std::vector<OnDelivery> held_;
};

// Answers calls with what `script` returns for the call and how many came before it.
class FakeService : public ServiceCaller {
 public:
  using Script = std::function<ServiceResult(const ServiceCall& call, int index)>;
  explicit FakeService(Script script) : script_(std::move(script)) {}
  void call(ServiceCall call, std::function<void(ServiceResult)> done) override {
    int index;
    {
      std::lock_guard lock(mutex_);
      index = static_cast<int>(calls_.size());
      calls_.push_back(call);
    }
    done(script_(call, index));
  }
  std::vector<ServiceCall> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  Script script_;
  mutable std::mutex mutex_;
  std::vector<ServiceCall> calls_;
};

// Keeps every call's `done` until the test answers it, in `pending`.
class HoldingService : public ServiceCaller {
 public:
  void call(ServiceCall, std::function<void(ServiceResult)> done) override { pending.push_back(std::move(done)); }
  std::vector<std::function<void(ServiceResult)>> pending;
};

// Keeps tasks until run_all(); records the delays asked for.
class FakeTimers : public Timers {
 public:
  void after(std::chrono::milliseconds delay, std::function<void()> task) override {
    std::lock_guard lock(mutex_);
    delays.push_back(delay);
    tasks_.push_back(std::move(task));
  }
  // Runs what is due now, and what those tasks schedule in turn, up to `rounds` times.
  void run_all(int rounds = 100) {
    for (int i = 0; i < rounds; ++i) {
      std::deque<std::function<void()>> due;
      {
        std::lock_guard lock(mutex_);
        due.swap(tasks_);
      }
      if (due.empty()) return;
      for (auto& task : due) task();
    }
  }
  std::vector<std::chrono::milliseconds> delays;

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
};

// Counts acknowledgements of the message it was made for.
struct AckCounter {
  std::atomic<int> handled{0};
  std::unique_ptr<Acknowledger> handle() {
    struct Ack : Acknowledger {
      AckCounter* counter;
      explicit Ack(AckCounter* c) : counter(c) {}
      void handled() override { ++counter->handled; }
    };
    return std::make_unique<Ack>(this);
  }
};

}  // namespace causeway::bridge::testing
