#pragma once
// Broker -> local service, at least once (DESIGN.md "Delivery"), whatever the broker.
// Its source hands over messages with acknowledgement handles; the flow calls the
// service in order per key and up to `concurrency` at once, retries with backoff,
// dead-letters what cannot be handled, publishes replies, acknowledges each message
// once it is handled for good, and holds lanes that run ahead of the service.
// Thread-safe: the source's thread, the service's and the publisher's callbacks all
// come in here.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/delivery_target.h"
#include "bridge/key_scheduler.h"
#include "bridge/message_producer.h"
#include "bridge/message_source.h"
#include "bridge/service_caller.h"
#include "config/config.h"
#include "policy/log_budget.h"

namespace causeway::metrics {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace causeway::metrics

namespace causeway::bridge {

struct DeliveryMetrics {
  DeliveryMetrics(metrics::Registry& registry, const std::string& route);
  metrics::Counter& success;
  metrics::Counter& retry;
  metrics::Counter& dead_letter;
  metrics::Counter& redelivered;
  metrics::Gauge& in_flight;
  metrics::Gauge& stuck;
  metrics::Counter& replies;
  metrics::Histogram& duration;  // per attempt: handed to the target until its answer
};

// Owned by a shared_ptr: callbacks hold it weakly, so a flow a reload retired may go
// while calls and timers of its are still out (their results are then dropped, and
// the messages delivered again by whoever reads them next).
class DeliveryFlow : public MessageSink, public std::enable_shared_from_this<DeliveryFlow> {
 public:
  // `producer` publishes dead letters and replies; `target` is where messages go.
  DeliveryFlow(const config::Route& route, const config::WireHeaders& wire, DeliveryTarget& target,
               std::shared_ptr<MessageProducer> producer, Timers& timers, metrics::Registry& registry);
  ~DeliveryFlow() override;

  // Where to ask for back-pressure; null: the source needs none (a prefetch window).
  void set_control(LaneControl* control);

  void lane_opened(const std::string& lane) override;
  void lane_closed(const std::string& lane, std::chrono::milliseconds wait) override;
  void deliver(SourcedMessage message) override;
  void stop_starting() override;
  bool wait_idle(std::chrono::steady_clock::time_point deadline) override;

  const config::Route& route() const { return route_; }

 private:
  struct Delivery;
  struct Lane;
  using Id = KeyScheduler::Id;

  void start(const std::vector<Id>& ids);
  void attempt(Id id);
  void on_result(Id id, ServiceResult result);
  void after_failure(Id id, const ServiceResult& result, bool final);
  void dead_letter(Id id, std::string error, std::optional<Response> answer);
  void reply_then_finish(Id id, const Response& answer);
  // How long to wait before publishing a delivery's dead letter or reply again; nullopt once it is gone.
  std::optional<std::chrono::milliseconds> publish_retry_delay(Id id);
  void finish(Id id);
  std::optional<std::string> scheduling_key(const Delivery& delivery) const;
  Lane* owned(const Delivery& delivery);  // its lane, while still the one it came from

  const config::Route& route_;
  const config::WireHeaders& wire_;
  DeliveryTarget& target_;
  std::shared_ptr<MessageProducer> producer_;
  Timers& timers_;
  DeliveryMetrics metrics_;
  LaneControl* control_ = nullptr;

  std::mutex mutex_;
  std::condition_variable idle_;
  KeyScheduler scheduler_;
  Id next_id_ = 1;
  std::unordered_map<Id, Delivery> deliveries_;
  std::map<std::string, Lane> lanes_;
  std::uint64_t generation_ = 0;  // tells a lane opened again from the one before
  bool stopping_ = false;
  // Acks handed to the source outside the lock: wait_idle waits for them too, or a
  // source stopped right after would close its channel before the ack reached it.
  std::size_t acknowledging_ = 0;
  policy::LogBudget log_budget_;  // retries and dead letters: a storm logs its first lines
  std::mt19937 random_{std::random_device{}()};
};

}  // namespace causeway::bridge
