#include "bridge/callback_sender.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "bridge/callback_delivery.h"
#include "metrics/registry.h"
#include "policy/backoff.h"

namespace causeway::bridge {

using SteadyClock = std::chrono::steady_clock;
using Kind = CallbackDecision::Kind;

struct CallbackSender::Job {
  std::shared_ptr<const CallbackRoute> route;
  policy::CallbackUrl url;
  std::string id;
  std::optional<Response> reply;  // once it came
  SteadyClock::time_point replied{};
  int attempts = 0;
  bool busy = false;         // a post or a dead letter is on its way
  bool backing_off = false;  // a retry timer is set
  std::string last_error;
};

CallbackSender::CallbackSender(WebhookCaller& caller, Timers& timers, metrics::Registry& registry, Signer sign)
    : caller_(caller),
      timers_(timers),
      sign_(std::move(sign)),
      results_(registry.counter("causeway_callbacks_total",
                                "Reply callbacks by how they ended: delivered, gone (410), dead_letter, failed (lost), "
                                "rejected (URL refused)",
                                {"route", "result"})),
      attempts_(registry.counter("causeway_callback_attempts_total",
                                 "Callback POSTs by the receiver's status, or timeout, connect_error, error",
                                 {"route", "code"})),
      latency_(registry.histogram("causeway_callback_duration_seconds",
                                  "From the reply's arrival to the receiver's 2xx, retries included", {"route"},
                                  metrics::latency_buckets())),
      pending_gauge_(registry
                         .gauge("causeway_callbacks_pending",
                                "Callbacks accepted and not yet delivered, given up or dead-lettered")
                         .with({})) {}

CallbackSender::~CallbackSender() = default;

metrics::Counter& CallbackSender::result_counter(const std::string& route, const char* result) {
  return results_.with({route, result});
}

CallbackSender::Ticket CallbackSender::open(std::shared_ptr<const CallbackRoute> route, policy::CallbackUrl url,
                                            std::string id) {
  std::lock_guard lock(mutex_);
  const Ticket ticket = next_ticket_++;
  auto& job = jobs_[ticket];
  job.route = std::move(route);
  job.url = std::move(url);
  job.id = std::move(id);
  pending_gauge_.add(1);
  return ticket;
}

std::function<void(Response)> CallbackSender::on_reply(Ticket ticket) {
  return [self = weak_from_this(), ticket](Response reply) {
    auto sender = self.lock();
    if (!sender) return;
    {
      std::lock_guard lock(sender->mutex_);
      auto found = sender->jobs_.find(ticket);
      if (found == sender->jobs_.end() || found->second.reply) return;
      found->second.reply = std::move(reply);
      found->second.replied = SteadyClock::now();
    }
    sender->attempt(ticket);
  };
}

void CallbackSender::drop(Ticket ticket) {
  std::lock_guard lock(mutex_);
  if (jobs_.erase(ticket) == 0) return;
  pending_gauge_.add(-1);
  idle_.notify_all();
}

void CallbackSender::count_rejected(const std::string& route) { result_counter(route, "rejected").inc(); }

void CallbackSender::attempt(Ticket ticket) {
  WebhookPost post;
  std::string stopped;
  {
    std::lock_guard lock(mutex_);
    auto found = jobs_.find(ticket);
    if (found == jobs_.end() || found->second.busy || found->second.backing_off || !found->second.reply) return;
    auto& job = found->second;
    if (stopping_) {
      stopped = job.attempts == 0 ? "Causeway shut down before the callback was sent"
                                  : job.last_error + "; Causeway shut down before the next attempt";
    } else {
      job.busy = true;
      ++job.attempts;
      const Response& reply = *job.reply;
      // A fresh timestamp per attempt: receivers refuse old ones against replays.
      const std::int64_t now =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      post.url = job.url;
      post.body = reply.body;
      post.timeout = job.route->settings.timeout;
      if (const std::string* type = find_header(reply.headers, "content-type")) {
        post.headers.push_back({"content-type", *type});
      }
      std::vector<std::string> secrets;
      for (const auto& secret : job.route->settings.secrets) secrets.push_back(secret.value);
      post.headers.push_back({"reply-status", std::to_string(reply.status)});
      post.headers.push_back({"webhook-id", job.id});
      post.headers.push_back({"webhook-timestamp", std::to_string(now)});
      post.headers.push_back({"webhook-signature", sign_(secrets, job.id, now, reply.body)});
    }
  }
  if (!stopped.empty()) {
    dead_letter(ticket, std::move(stopped));
    return;
  }
  caller_.post(std::move(post), [self = weak_from_this(), ticket](WebhookResult result) {
    if (auto sender = self.lock()) sender->on_result(ticket, std::move(result));
  });
}

void CallbackSender::on_result(Ticket ticket, WebhookResult result) {
  CallbackDecision decision;
  std::string route;
  std::string url;
  {
    std::lock_guard lock(mutex_);
    auto found = jobs_.find(ticket);
    if (found == jobs_.end()) return;
    auto& job = found->second;
    job.busy = false;
    route = job.route->route;
    url = job.url.text();
    attempts_.with({route, attempt_code(result)}).inc();
    decision = decide_callback(result, job.attempts, job.route->settings.retry, policy::unit_random());
    job.last_error = decision.error;
    if (decision.kind == Kind::delivered) {
      latency_.with({route}).observe(std::chrono::duration<double>(SteadyClock::now() - job.replied).count());
    }
    if (decision.kind == Kind::retry && stopping_) {
      decision.kind = Kind::dead_letter;
      decision.error += "; Causeway shut down before the next attempt";
    }
    job.backing_off = decision.kind == Kind::retry;
  }
  switch (decision.kind) {
    case Kind::delivered: finish(ticket, "delivered"); return;
    case Kind::gone:
      spdlog::info("route '{}': callback to {} answered 410 Gone; not sent again", route, url);
      finish(ticket, "gone");
      return;
    case Kind::dead_letter: dead_letter(ticket, std::move(decision.error)); return;
    case Kind::retry: break;
  }
  timers_.after(decision.delay, [self = weak_from_this(), ticket] {
    auto sender = self.lock();
    if (!sender) return;
    {
      std::lock_guard lock(sender->mutex_);
      auto found = sender->jobs_.find(ticket);
      // Not backing off any more: stop_retrying() dead-lettered it meanwhile.
      if (found == sender->jobs_.end() || !found->second.backing_off) return;
      found->second.backing_off = false;
    }
    sender->attempt(ticket);
  });
}

void CallbackSender::dead_letter(Ticket ticket, std::string error) {
  std::shared_ptr<const CallbackRoute> route;
  OutboundMessage message;
  {
    std::lock_guard lock(mutex_);
    auto found = jobs_.find(ticket);
    if (found == jobs_.end()) return;
    auto& job = found->second;
    route = job.route;
    if (!route->settings.dead_letter) {
      spdlog::warn("route '{}': callback {} to {} failed ({}); no dead letter topic, so it is dropped (the reply "
                   "stays pollable for replies.keep)",
                   route->route, job.id, job.url.text(), error);
    } else {
      job.busy = true;
      message = callback_dead_letter(CallbackFailure{*route->settings.dead_letter, job.id, route->route,
                                                     job.url.text(), job.reply ? &*job.reply : nullptr, job.attempts,
                                                     error});
    }
  }
  if (!route->settings.dead_letter) {
    finish(ticket, "failed");
    return;
  }
  route->producer->produce(std::move(message), [self = weak_from_this(), ticket, error](const DeliveryReport& report) {
    auto sender = self.lock();
    if (!sender) return;
    if (report.outcome == DeliveryReport::Outcome::stored) {
      sender->finish(ticket, "dead_letter");
      return;
    }
    std::shared_ptr<const CallbackRoute> route;
    bool stopping = false;
    {
      std::lock_guard lock(sender->mutex_);
      auto found = sender->jobs_.find(ticket);
      if (found == sender->jobs_.end()) return;
      found->second.busy = false;
      route = found->second.route;
      stopping = sender->stopping_;
    }
    spdlog::error("route '{}': the dead letter of a failed callback was not stored on {} ({}){}", route->route,
                  *route->settings.dead_letter, report.error, stopping ? "; it is lost" : "; trying again");
    if (stopping) {
      sender->finish(ticket, "failed");
      return;
    }
    sender->timers_.after(route->settings.retry.backoff, [self, ticket, error] {
      if (auto again = self.lock()) again->dead_letter(ticket, error);
    });
  });
}

void CallbackSender::finish(Ticket ticket, const char* result) {
  std::lock_guard lock(mutex_);
  auto found = jobs_.find(ticket);
  if (found == jobs_.end()) return;
  result_counter(found->second.route->route, result).inc();
  jobs_.erase(found);
  pending_gauge_.add(-1);
  idle_.notify_all();
}

void CallbackSender::stop_retrying() {
  std::vector<std::pair<Ticket, std::string>> waiting;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    // Their timers may not fire before the loops stop: they go now.
    for (auto& [ticket, job] : jobs_) {
      if (!job.backing_off) continue;
      job.backing_off = false;
      waiting.emplace_back(ticket, job.last_error + "; Causeway shut down before the next attempt");
    }
  }
  for (auto& [ticket, error] : waiting) dead_letter(ticket, std::move(error));
}

bool CallbackSender::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return idle_.wait_until(lock, deadline, [&] { return jobs_.empty(); });
}

std::size_t CallbackSender::pending() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

}  // namespace causeway::bridge
