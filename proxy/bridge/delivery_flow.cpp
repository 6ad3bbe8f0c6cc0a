#include "bridge/delivery_flow.h"

#include <spdlog/spdlog.h>

#include "bridge/delivery_message.h"
#include "bridge/failure.h"

namespace causeway::bridge {

using Outcome = DeliveryReport::Outcome;

struct DeliveryFlow::Delivery {
  InboundMessage message;
  PartitionId partition;
  std::uint64_t generation = 0;
  int attempts = 0;
  bool active = false;  // a call, dead letter or reply is on its way
  bool stuck = false;   // out of attempts with no dead letter topic: retried forever
};

struct DeliveryFlow::Partition {
  std::uint64_t generation = 0;
  OffsetTracker tracker;
  std::size_t buffered = 0;  // delivered to us and not finished
  std::size_t active = 0;
  bool paused = false;
  bool revoking = false;
  std::optional<std::int64_t> committed;
  std::int64_t committed_max_handled = -1;
  std::optional<std::int64_t> previous_max_handled;  // what the last owner recorded
  std::int64_t max_handled = -1;
};

namespace {

metrics::Counter& delivery_counter(metrics::Registry& registry, const std::string& route, const char* result) {
  return registry
      .counter("causeway_deliveries_total", "Messages delivered to a service, by result", {"route", "result"})
      .with({route, result});
}

}  // namespace

DeliveryMetrics::DeliveryMetrics(metrics::Registry& registry, const std::string& route)
    : success(delivery_counter(registry, route, "success")),
      retry(delivery_counter(registry, route, "retry")),
      dead_letter(delivery_counter(registry, route, "dead_letter")),
      redelivered(registry
                      .counter("causeway_deliveries_redelivered_total",
                               "Messages read again after a restart or rebalance that were handled before (duplicates)",
                               {"route"})
                      .with({route})),
      in_flight(registry.gauge("causeway_deliveries_in_flight", "Deliveries being sent, dead-lettered or replied to",
                               {"route"})
                    .with({route})),
      stuck(registry
                .gauge("causeway_deliveries_stuck",
                       "Messages out of attempts with no dead letter topic, retried at max_backoff", {"route"})
                .with({route})),
      replies(registry.counter("causeway_delivery_replies_total", "Replies published for delivered messages", {"route"})
                  .with({route})) {}

DeliveryFlow::DeliveryFlow(const config::Route& route, const config::Broker& broker, ServiceCaller& service,
                           std::shared_ptr<MessageProducer> producer, Timers& timers, metrics::Registry& registry)
    : route_(route),
      target_(std::get<config::UpstreamTarget>(route.to)),
      broker_(broker),
      service_(service),
      producer_(std::move(producer)),
      timers_(timers),
      metrics_(registry, route.name),
      scheduler_(route.concurrency) {}

DeliveryFlow::~DeliveryFlow() = default;

DeliveryFlow::Partition* DeliveryFlow::owned(const Delivery& delivery) {
  auto found = partitions_.find(delivery.partition);
  if (found == partitions_.end() || found->second.generation != delivery.generation) return nullptr;
  return &found->second;
}

std::optional<std::string> DeliveryFlow::scheduling_key(const Delivery& delivery) const {
  // Order is per key within a partition; keyless messages keep none.
  if (!delivery.message.key) return std::nullopt;
  return std::to_string(delivery.partition.partition) + "/" + *delivery.message.key;
}

void DeliveryFlow::assigned(const PartitionId& partition, std::optional<std::int64_t> max_handled) {
  std::lock_guard lock(mutex_);
  auto& state = partitions_[partition] = Partition{};
  state.generation = ++generation_;
  state.previous_max_handled = max_handled;
}

std::optional<CommitPoint> DeliveryFlow::revoked(const PartitionId& partition, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  auto found = partitions_.find(partition);
  if (found == partitions_.end()) return std::nullopt;
  auto& state = found->second;
  state.revoking = true;  // nothing new starts on it
  idle_.wait_for(lock, wait, [&] { return state.active == 0; });
  std::optional<CommitPoint> point;
  if (auto offset = state.tracker.commit_point()) point = CommitPoint{partition, *offset, state.max_handled};
  partitions_.erase(found);
  return point;
}

void DeliveryFlow::deliver(InboundMessage message) {
  std::vector<Id> starts;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // never started, so never committed: read again after the restart
    PartitionId partition{message.topic, message.partition};
    auto found = partitions_.find(partition);
    if (found == partitions_.end() || found->second.revoking) return;  // not ours any more
    auto& state = found->second;
    if (state.previous_max_handled && message.offset <= *state.previous_max_handled) metrics_.redelivered.inc();
    state.tracker.started(message.offset);
    if (++state.buffered >= route_.max_buffered && !state.paused && control_) {
      state.paused = true;
      control_->pause(partition);
    }
    const Id id = next_id_++;
    auto& delivery = deliveries_[id];
    delivery.partition = std::move(partition);
    delivery.generation = state.generation;
    delivery.message = std::move(message);
    starts = scheduler_.add(id, scheduling_key(delivery));
  }
  start(starts);
}

void DeliveryFlow::start(const std::vector<Id>& ids) {
  for (Id id : ids) attempt(id);
}

void DeliveryFlow::attempt(Id id) {
  ServiceCall call;
  std::vector<Id> starts;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    auto& delivery = found->second;
    Partition* partition = owned(delivery);
    if (!partition || partition->revoking || stopping_) {
      // Left unhandled for whoever reads the partition next; only its place in line goes.
      if (delivery.stuck) metrics_.stuck.add(-1);
      starts = scheduler_.finish(id, scheduling_key(delivery));
      if (partition) --partition->buffered;
      deliveries_.erase(found);
    } else {
      ++delivery.attempts;
      delivery.active = true;
      ++partition->active;
      metrics_.in_flight.add(1);
      call = service_call(target_, delivery.message);
    }
  }
  if (!call.method.empty()) {
    service_.call(std::move(call), [self = weak_from_this(), id](ServiceResult result) {
      if (auto flow = self.lock()) flow->on_result(id, std::move(result));
    });
  }
  start(starts);
}

void DeliveryFlow::on_result(Id id, ServiceResult result) {
  const Verdict verdict = judge(result);
  bool final = false;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    final = found->second.attempts >= route_.retry.attempts;
  }
  switch (verdict) {
    case Verdict::handled:
      metrics_.success.inc();
      reply_then_finish(id, *result.response);
      return;
    case Verdict::dead_letter:
      if (route_.dead_letter) {
        dead_letter(id, describe(result), result.response);
        return;
      }
      after_failure(id, result, true);
      return;
    case Verdict::retry:
      if (final && route_.dead_letter) {
        dead_letter(id, describe(result), std::nullopt);
        return;
      }
      after_failure(id, result, final);
      return;
  }
}

void DeliveryFlow::after_failure(Id id, const ServiceResult& result, bool final) {
  metrics_.retry.inc();
  std::chrono::milliseconds delay;
  std::vector<Id> starts;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    auto& delivery = found->second;
    if (final && !delivery.stuck) {
      delivery.stuck = true;
      metrics_.stuck.add(1);
      spdlog::warn("route '{}': {} [{}] offset {} failed {} time(s) ({}); no dead letter topic, so it is retried every "
                   "{} ms until it succeeds",
                   route_.name, delivery.partition.topic, delivery.partition.partition, delivery.message.offset,
                   delivery.attempts, describe(result), route_.retry.max_backoff.count());
    }
    delay = final ? route_.retry.max_backoff
                  : backoff_delay(route_.retry, delivery.attempts, std::uniform_real_distribution<>(0, 1)(random_));
    delivery.active = false;
    if (Partition* partition = owned(delivery)) --partition->active;
    metrics_.in_flight.add(-1);
    starts = scheduler_.backoff(id);
    idle_.notify_all();
  }
  start(starts);
  timers_.after(delay, [self = weak_from_this(), id] {
    auto flow = self.lock();
    if (!flow) return;
    std::vector<Id> retried;
    {
      std::lock_guard lock(flow->mutex_);
      if (!flow->deliveries_.contains(id)) return;
      retried = flow->scheduler_.retry(id);
    }
    flow->start(retried);
  });
}

void DeliveryFlow::dead_letter(Id id, std::string error, std::optional<Response> answer) {
  OutboundMessage message;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    message = dead_letter_message(found->second.message, *route_.dead_letter, found->second.attempts, error);
  }
  producer_->produce(std::move(message), [self = weak_from_this(), id, error, answer](const DeliveryReport& report) {
    auto flow = self.lock();
    if (!flow) return;
    if (report.outcome != Outcome::stored) {
      // Not stored: nothing may be committed past this message. Try again later.
      spdlog::warn("route '{}': dead letter to {} failed ({}); trying again", flow->route_.name,
                   *flow->route_.dead_letter, report.error);
      flow->timers_.after(flow->route_.retry.backoff, [self, id, error, answer] {
        if (auto again = self.lock()) again->dead_letter(id, error, answer);
      });
      return;
    }
    flow->metrics_.dead_letter.inc();
    // The caller of a request that finally failed hears 502 rather than waiting for its timeout.
    flow->reply_then_finish(
        id, answer ? *answer : failure_response(Failure::bad_gateway, "delivery failed: " + error, flow->route_.name));
  });
}

void DeliveryFlow::reply_then_finish(Id id, const Response& answer) {
  std::optional<OutboundMessage> reply;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    reply = reply_message(found->second.message, broker_.headers, answer);
  }
  if (!reply) {
    finish(id);
    return;
  }
  producer_->produce(std::move(*reply), [self = weak_from_this(), id, answer](const DeliveryReport& report) {
    auto flow = self.lock();
    if (!flow) return;
    if (report.outcome == Outcome::not_stored || report.outcome == Outcome::queue_full) {
      flow->timers_.after(flow->route_.retry.backoff, [self, id, answer] {
        if (auto again = self.lock()) again->reply_then_finish(id, answer);
      });
      return;
    }
    if (report.outcome == Outcome::stored) {
      flow->metrics_.replies.inc();
    } else {
      spdlog::warn("route '{}': the reply could not be published ({}); its caller will time out", flow->route_.name,
                   report.error);
    }
    flow->finish(id);
  });
}

void DeliveryFlow::finish(Id id) {
  std::vector<Id> starts;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    auto& delivery = found->second;
    if (Partition* partition = owned(delivery)) {
      auto& state = *partition;
      state.tracker.handled(delivery.message.offset);
      state.max_handled = std::max(state.max_handled, delivery.message.offset);
      if (delivery.active) --state.active;
      --state.buffered;
      if (state.paused && state.buffered <= route_.max_buffered / 2) {
        state.paused = false;
        if (control_) control_->resume(delivery.partition);
      }
    }
    if (delivery.active) metrics_.in_flight.add(-1);
    if (delivery.stuck) metrics_.stuck.add(-1);
    starts = scheduler_.finish(id, scheduling_key(delivery));
    deliveries_.erase(found);
    idle_.notify_all();
  }
  start(starts);
}

std::vector<CommitPoint> DeliveryFlow::commit_points() {
  std::lock_guard lock(mutex_);
  std::vector<CommitPoint> points;
  for (auto& [partition, state] : partitions_) {
    auto offset = state.tracker.commit_point();
    // The highest handled offset alone moving is worth a commit too: it is what tells
    // the next owner which messages it reads again were handled already.
    if (!offset || (offset == state.committed && state.max_handled == state.committed_max_handled)) continue;
    state.committed = offset;
    state.committed_max_handled = state.max_handled;
    points.push_back(CommitPoint{partition, *offset, state.max_handled});
  }
  return points;
}

void DeliveryFlow::commit_failed(const PartitionId& partition) {
  std::lock_guard lock(mutex_);
  if (auto found = partitions_.find(partition); found != partitions_.end()) {
    found->second.committed.reset();
    found->second.committed_max_handled = -1;
  }
}

std::optional<std::int64_t> DeliveryFlow::handled_point(const PartitionId& partition) {
  std::lock_guard lock(mutex_);
  auto found = partitions_.find(partition);
  if (found == partitions_.end()) return std::nullopt;
  return found->second.tracker.commit_point();
}

void DeliveryFlow::stop_starting() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
}

bool DeliveryFlow::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return idle_.wait_until(lock, deadline, [&] {
    for (const auto& [id, delivery] : deliveries_) {
      if (delivery.active) return false;
    }
    return true;
  });
}

}  // namespace causeway::bridge
