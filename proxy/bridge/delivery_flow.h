#pragma once
// Broker -> local service, at least once (DESIGN.md "Delivery"). The consumer hands
// over messages and asks what may be committed; the flow calls the service in order
// per key and up to `concurrency` at once, retries with backoff, dead-letters what
// cannot be handled, publishes replies, and pauses partitions that run ahead of the
// service. Thread-safe: the consumer's thread, the service's and the producer's
// callbacks all come in here.

#include <atomic>
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

#include "bridge/flow_metrics.h"
#include "bridge/inbound_message.h"
#include "bridge/key_scheduler.h"
#include "bridge/message_producer.h"
#include "bridge/offset_tracker.h"
#include "bridge/service_caller.h"
#include "config/config.h"

namespace causeway::bridge {

struct PartitionId {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const PartitionId&) const = default;
};

struct CommitPoint {
  PartitionId partition;
  std::int64_t offset;        // the first offset a restart must read again
  std::int64_t max_handled;   // recorded with the commit, to recognize redeliveries later
};

// What the flow asks of the consumer: stop and restart taking a partition's messages.
// Called under the flow's lock, so that a pause and the resume after it cannot arrive
// in the other order; an implementation must be quick and must not call the flow.
class PartitionControl {
 public:
  virtual ~PartitionControl() = default;
  virtual void pause(const PartitionId& partition) = 0;
  virtual void resume(const PartitionId& partition) = 0;
};

struct DeliveryMetrics {
  DeliveryMetrics(metrics::Registry& registry, const std::string& route);
  metrics::Counter& success;
  metrics::Counter& retry;
  metrics::Counter& dead_letter;
  metrics::Counter& redelivered;
  metrics::Gauge& in_flight;
  metrics::Gauge& stuck;
  metrics::Counter& replies;
};

// Owned by a shared_ptr: callbacks hold it weakly, so a flow a reload retired may go
// while calls and timers of its are still out (their results are then dropped, and
// the messages delivered again by whoever reads the partition next).
class DeliveryFlow : public std::enable_shared_from_this<DeliveryFlow> {
 public:
  DeliveryFlow(const config::Route& route, const config::Broker& broker, ServiceCaller& service,
               std::shared_ptr<MessageProducer> producer, Timers& timers, metrics::Registry& registry);
  ~DeliveryFlow();

  void set_control(PartitionControl* control) { control_ = control; }

  // A partition came to this instance; max_handled is what the last owner recorded.
  void assigned(const PartitionId& partition, std::optional<std::int64_t> max_handled);
  // A partition goes away: waits (bounded) for its deliveries in flight, then returns
  // its commit point and forgets it. Messages not handled by then are the next owner's.
  std::optional<CommitPoint> revoked(const PartitionId& partition, std::chrono::milliseconds wait);
  void deliver(InboundMessage message);
  // Commit points that moved (offset, or the highest handled one) since the last call.
  std::vector<CommitPoint> commit_points();
  // The broker refused a commit: the partition's point is offered again next time.
  void commit_failed(const PartitionId& partition);
  // Where a restart would read the partition from now, if anything was read from it.
  std::optional<std::int64_t> handled_point(const PartitionId& partition);

  // Draining: nothing new starts; waits until nothing is in flight or the deadline.
  void stop_starting();
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  const config::Route& route() const { return route_; }

 private:
  struct Delivery;
  struct Partition;
  using Id = KeyScheduler::Id;

  void start(const std::vector<Id>& ids);
  void attempt(Id id);
  void on_result(Id id, ServiceResult result);
  void after_failure(Id id, const ServiceResult& result, bool final);
  void dead_letter(Id id, std::string error, std::optional<Response> answer);
  void reply_then_finish(Id id, const Response& answer);
  void finish(Id id);
  std::optional<std::string> scheduling_key(const Delivery& delivery) const;
  Partition* owned(const Delivery& delivery);  // its partition, while still the one it came from

  const config::Route& route_;
  const config::UpstreamTarget& target_;
  const config::Broker& broker_;
  ServiceCaller& service_;
  std::shared_ptr<MessageProducer> producer_;
  Timers& timers_;
  DeliveryMetrics metrics_;
  PartitionControl* control_ = nullptr;

  std::mutex mutex_;
  std::condition_variable idle_;
  KeyScheduler scheduler_;
  Id next_id_ = 1;
  std::unordered_map<Id, Delivery> deliveries_;
  std::map<PartitionId, Partition> partitions_;
  std::uint64_t generation_ = 0;  // tells a partition assigned again from the one before
  bool stopping_ = false;
  std::mt19937 random_{std::random_device{}()};
};

}  // namespace causeway::bridge
