#include "bridge/delivery_flow.h"

#include <spdlog/spdlog.h>

#include "metrics/registry.h"

#include "bridge/delivery_message.h"
#include "bridge/failure.h"
#include "policy/backoff.h"

namespace causeway::bridge {

using Outcome = DeliveryReport::Outcome;

struct DeliveryFlow::Delivery {
  InboundMessage message;
  std::string lane;
  std::optional<std::string> order_key;
  std::unique_ptr<Acknowledger> ack;
  std::uint64_t generation = 0;
  int attempts = 0;
  bool active = false;  // a call, dead letter or reply is on its way
  bool stuck = false;   // out of attempts with no dead letter topic: retried forever
  int refused_publishes = 0;  // times its dead letter or reply was not stored: each retry waits longer
};

struct DeliveryFlow::Lane {
  std::uint64_t generation = 0;
  std::size_t buffered = 0;  // delivered to us and not finished
  std::size_t active = 0;
  bool held = false;
  bool closing = false;
};

namespace {

// Where a message came from, for a log line: its position (Kafka's topic/partition/offset), else its lane.
const std::string& where(const InboundMessage& message, const std::string& lane) {
  return message.position.empty() ? lane : message.position;
}

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
                  .with({route})),
      duration(registry
                   .histogram("causeway_delivery_duration_seconds",
                              "Time from a delivery attempt handed to the service (or onward broker) to its answer",
                              {"route"}, metrics::latency_buckets())
                   .with({route})) {}

DeliveryFlow::DeliveryFlow(const config::Route& route, const config::WireHeaders& wire, DeliveryTarget& target,
                           std::shared_ptr<MessageProducer> producer, Timers& timers, metrics::Registry& registry)
    : route_(route),
      wire_(wire),
      target_(target),
      producer_(std::move(producer)),
      timers_(timers),
      metrics_(registry, route.name),
      scheduler_(route.concurrency) {}

DeliveryFlow::~DeliveryFlow() = default;

void DeliveryFlow::set_control(LaneControl* control) {
  std::lock_guard lock(mutex_);
  control_ = control;
}

DeliveryFlow::Lane* DeliveryFlow::owned(const Delivery& delivery) {
  auto found = lanes_.find(delivery.lane);
  if (found == lanes_.end() || found->second.generation != delivery.generation) return nullptr;
  return &found->second;
}

std::optional<std::string> DeliveryFlow::scheduling_key(const Delivery& delivery) const {
  // Order is per key within a lane; keyless messages keep none.
  const auto& key = delivery.order_key ? delivery.order_key : delivery.message.key;
  if (!key) return std::nullopt;
  return delivery.lane + "/" + *key;
}

void DeliveryFlow::lane_opened(const std::string& lane) {
  std::lock_guard lock(mutex_);
  lanes_[lane] = Lane{++generation_};
}

void DeliveryFlow::lane_closed(const std::string& lane, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  auto found = lanes_.find(lane);
  if (found == lanes_.end()) return;
  auto& state = found->second;
  state.closing = true;  // nothing new starts on it
  const auto generation = state.generation;
  idle_.wait_for(lock, wait, [&] {
    auto again = lanes_.find(lane);
    return again == lanes_.end() || again->second.generation != generation || again->second.active == 0;
  });
  found = lanes_.find(lane);
  if (found != lanes_.end() && found->second.generation == generation) lanes_.erase(found);
}

void DeliveryFlow::deliver(SourcedMessage message) {
  std::vector<Id> starts;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // never acknowledged: read again after the restart
    auto found = lanes_.find(message.lane);
    if (found == lanes_.end() || found->second.closing) return;  // not ours any more
    auto& state = found->second;
    if (message.redelivered) metrics_.redelivered.inc();
    if (++state.buffered >= route_.max_buffered && !state.held && control_) {
      state.held = true;
      control_->hold(message.lane);
    }
    const Id id = next_id_++;
    auto& delivery = deliveries_[id];
    delivery.lane = std::move(message.lane);
    delivery.order_key = std::move(message.order_key);
    delivery.ack = std::move(message.ack);
    delivery.generation = state.generation;
    delivery.message = std::move(message.message);
    starts = scheduler_.add(id, scheduling_key(delivery));
  }
  start(starts);
}

void DeliveryFlow::start(const std::vector<Id>& ids) {
  for (Id id : ids) attempt(id);
}

void DeliveryFlow::attempt(Id id) {
  const InboundMessage* message = nullptr;
  std::vector<Id> starts;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    auto& delivery = found->second;
    Lane* lane = owned(delivery);
    if (!lane || lane->closing || stopping_) {
      // Left unacknowledged for whoever reads it next; only its place in line goes.
      if (delivery.stuck) metrics_.stuck.add(-1);
      starts = scheduler_.finish(id, scheduling_key(delivery));
      if (lane) --lane->buffered;
      deliveries_.erase(found);
    } else {
      ++delivery.attempts;
      delivery.active = true;
      ++lane->active;
      metrics_.in_flight.add(1);
      // Stays where it is while active: finish() is the only one to erase it.
      message = &delivery.message;
    }
  }
  if (message) {
    target_.send(*message, [self = weak_from_this(), id, sent = std::chrono::steady_clock::now()](ServiceResult result) {
      if (auto flow = self.lock()) {
        flow->metrics_.duration.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count());
        flow->on_result(id, std::move(result));
      }
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
      spdlog::warn("route '{}': {} failed {} time(s) ({}); no dead letter, so it is retried every {} ms until it "
                   "succeeds",
                   route_.name, where(delivery.message, delivery.lane), delivery.attempts, describe(result), route_.retry.max_backoff.count());
    }
    delay = final ? route_.retry.max_backoff
                  : backoff_delay(route_.retry, delivery.attempts, std::uniform_real_distribution<>(0, 1)(random_));
    if (!final) {
      if (auto left_out = log_budget_.take("retry", std::chrono::steady_clock::now())) {
        spdlog::info("route '{}': {} failed ({}), attempt {} of {}; again in {} ms{}", route_.name,
                     where(delivery.message, delivery.lane), describe(result), delivery.attempts, route_.retry.attempts, delay.count(),
                     policy::left_out_note(*left_out));
      }
    }
    delivery.active = false;
    if (Lane* lane = owned(delivery)) --lane->active;
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
      // Not stored: nothing may be committed past this message. Try again later, backing off as a
      // service retry does, so a broker refusing every dead letter is not asked (and logged) hundreds of times a second.
      const auto delay = flow->publish_retry_delay(id);
      if (!delay) return;
      if (auto left_out = flow->log_budget_.take("dead letter refused", std::chrono::steady_clock::now())) {
        spdlog::warn("route '{}': dead letter to {} failed ({}); trying again in {} ms{}", flow->route_.name,
                     *flow->route_.dead_letter, report.error, delay->count(), policy::left_out_note(*left_out));
      }
      flow->timers_.after(*delay, [self, id, error, answer] {
        if (auto again = self.lock()) again->dead_letter(id, error, answer);
      });
      return;
    }
    flow->metrics_.dead_letter.inc();
    if (auto left_out = flow->log_budget_.take("dead letter", std::chrono::steady_clock::now())) {
      spdlog::warn("route '{}': a message was dead-lettered to {} ({}){}", flow->route_.name, *flow->route_.dead_letter,
                   error, policy::left_out_note(*left_out));
    }
    // The caller of a request that finally failed hears 502 rather than waiting for its timeout.
    flow->reply_then_finish(
        id, answer ? *answer : failure_response(Failure::bad_gateway, "delivery failed: " + error, flow->route_.name));
  });
}

std::optional<std::chrono::milliseconds> DeliveryFlow::publish_retry_delay(Id id) {
  std::lock_guard lock(mutex_);
  auto found = deliveries_.find(id);
  if (found == deliveries_.end()) return std::nullopt;
  return backoff_delay(route_.retry, ++found->second.refused_publishes, policy::unit_random());
}

void DeliveryFlow::reply_then_finish(Id id, const Response& answer) {
  std::optional<OutboundMessage> reply;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    reply = reply_message(found->second.message, wire_, answer);
  }
  if (!reply) {
    finish(id);
    return;
  }
  producer_->produce(std::move(*reply), [self = weak_from_this(), id, answer](const DeliveryReport& report) {
    auto flow = self.lock();
    if (!flow) return;
    if (report.outcome == Outcome::not_stored || report.outcome == Outcome::queue_full) {
      const auto delay = flow->publish_retry_delay(id);
      if (!delay) return;
      flow->timers_.after(*delay, [self, id, answer] {
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
  std::unique_ptr<Acknowledger> ack;
  {
    std::lock_guard lock(mutex_);
    auto found = deliveries_.find(id);
    if (found == deliveries_.end()) return;
    auto& delivery = found->second;
    if (Lane* lane = owned(delivery)) {
      if (delivery.active) --lane->active;
      --lane->buffered;
      if (lane->held && lane->buffered <= route_.max_buffered / 2) {
        lane->held = false;
        if (control_) control_->release(delivery.lane);
      }
    }
    // Acknowledged even when its lane went meanwhile: the adapter knows whether that
    // still counts (an offset of a partition assigned again, a tag of a closed channel).
    ack = std::move(delivery.ack);
    if (delivery.active) metrics_.in_flight.add(-1);
    if (delivery.stuck) metrics_.stuck.add(-1);
    starts = scheduler_.finish(id, scheduling_key(delivery));
    deliveries_.erase(found);
    if (ack) ++acknowledging_;
    idle_.notify_all();
  }
  if (ack) {
    ack->handled();
    std::lock_guard lock(mutex_);
    --acknowledging_;
    idle_.notify_all();
  }
  start(starts);
}

void DeliveryFlow::stop_starting() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
}

bool DeliveryFlow::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return idle_.wait_until(lock, deadline, [&] {
    if (acknowledging_ > 0) return false;
    for (const auto& [id, delivery] : deliveries_) {
      if (delivery.active) return false;
    }
    return true;
  });
}

}  // namespace causeway::bridge
