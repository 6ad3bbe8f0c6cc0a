#include "bridge/reply_waiters.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "bridge/failure.h"
#include "bridge/reply_message.h"

namespace causeway::bridge {

namespace {

std::size_t size_of(const Response& reply) {
  std::size_t bytes = reply.body.size();
  for (const auto& header : reply.headers) bytes += header.name.size() + header.value.size();
  return bytes;
}

}  // namespace

Response pending_response(const std::string& id) {
  return Response{202,
                  {{"content-type", "application/json"}},
                  boost::json::serialize(boost::json::object{{"id", id}, {"status", "pending"}})};
}

ReplyWaiters::ReplyWaiters(ReplyLimits limits) : limits_(limits) {}

void ReplyWaiters::send(Answers& answers) {
  for (auto& [responder, response] : answers) responder(std::move(response));
}

ReplyWaiters::Start ReplyWaiters::start(Wait wait, SteadyTime now) {
  Answers answers;
  Start result;
  {
    std::lock_guard lock(mutex_);
    forget_kept(now);
    auto kept = kept_.find(wait.id);
    // A retry after a timeout deserves a new attempt, not the old 504.
    if (kept != kept_.end() && kept->second.timed_out) kept = kept_.end();
    if (kept != kept_.end()) {
      if (wait.caller) answers.emplace_back(std::move(*wait.caller), kept->second.reply);
      result = Start::replayed;
    } else if (auto pending = pending_.find(wait.id); pending != pending_.end()) {
      if (wait.caller) pending->second.callers.push_back(std::move(*wait.caller));
      pending->second.keep_reply = pending->second.keep_reply || wait.keep_reply;
      result = Start::joined;
    } else if (pending_.size() >= limits_.max_pending) {
      if (wait.caller) {
        answers.emplace_back(std::move(*wait.caller),
                             failure_response(Failure::overloaded, "too many requests wait for a reply",
                                              wait.route));
      }
      result = Start::full;
    } else {
      Pending entry;
      entry.route = std::move(wait.route);
      entry.keep_reply = wait.keep_reply;
      entry.reply_headers = std::move(wait.reply_headers);
      if (wait.caller) entry.callers.push_back(std::move(*wait.caller));
      entry.deadline = deadlines_.emplace(wait.deadline, wait.id);
      pending_.emplace(std::move(wait.id), std::move(entry));
      result = Start::waiting;
    }
  }
  send(answers);
  return result;
}

void ReplyWaiters::finish(std::unordered_map<std::string, Pending>::iterator entry, const Response& answer,
                          Answers& answers) {
  auto& pending = entry->second;
  deadlines_.erase(pending.deadline);
  for (auto& caller : pending.callers) answers.emplace_back(std::move(caller), answer);
  for (auto& poller : pending.pollers) {
    deadlines_.erase(poller.until);
    answers.emplace_back(std::move(poller.responder), answer);
  }
  pending_.erase(entry);
}

void ReplyWaiters::abandon(const std::string& id, const Response& answer) {
  Answers answers;
  {
    std::lock_guard lock(mutex_);
    if (auto entry = pending_.find(id); entry != pending_.end()) finish(entry, answer, answers);
  }
  send(answers);
}

bool ReplyWaiters::deliver(const std::string& id, Response reply, SteadyTime now) {
  Answers answers;
  {
    std::lock_guard lock(mutex_);
    auto entry = pending_.find(id);
    if (entry == pending_.end()) return false;
    if (const auto& listed = entry->second.reply_headers) reply = shape_reply(reply, *listed);
    if (entry->second.keep_reply) keep(id, reply, now);
    finish(entry, reply, answers);
  }
  send(answers);
  return true;
}

void ReplyWaiters::poll(const std::string& id, std::optional<SteadyTime> wait_until, SteadyTime now,
                        Responder responder) {
  std::optional<Response> answer;
  {
    std::lock_guard lock(mutex_);
    forget_kept(now);
    auto kept = kept_.find(id);
    auto pending = pending_.find(id);
    // The 504 of an attempt that timed out is stale once a retry with its id waits.
    if (kept != kept_.end() && kept->second.timed_out && pending != pending_.end()) kept = kept_.end();
    if (kept != kept_.end()) {
      answer = kept->second.reply;
    } else if (pending != pending_.end()) {
      if (wait_until && *wait_until > now) {
        pending->second.pollers.push_back(Poller{deadlines_.emplace(*wait_until, id), std::move(responder)});
        return;
      }
      answer = pending_response(id);
    } else {
      answer = failure_response(Failure::not_found, "no reply is known for id " + id + " (unknown, or expired)");
    }
  }
  responder(std::move(*answer));
}

std::vector<std::string> ReplyWaiters::expire(SteadyTime now) {
  Answers answers;
  std::vector<std::string> timed_out;
  {
    std::lock_guard lock(mutex_);
    forget_kept(now);
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto due = deadlines_.begin();
      auto entry = pending_.find(due->second);
      auto& pending = entry->second;
      if (pending.deadline == due) {
        auto answer = failure_response(Failure::timeout, "no reply before the route's timeout", pending.route);
        // An asynchronous caller learns it from its Location; a synchronous one may retry with its key.
        if (pending.callers.empty() && pending.keep_reply) keep(entry->first, answer, now, true);
        timed_out.push_back(pending.route);
        finish(entry, answer, answers);
        continue;
      }
      // A poller's wait ended before the reply came: it hears "still pending".
      for (auto poller = pending.pollers.begin(); poller != pending.pollers.end(); ++poller) {
        if (poller->until != due) continue;
        answers.emplace_back(std::move(poller->responder), pending_response(entry->first));
        pending.pollers.erase(poller);
        break;
      }
      deadlines_.erase(due);
    }
  }
  send(answers);
  return timed_out;
}

void ReplyWaiters::abandon_all(const Response& answer) {
  Answers answers;
  {
    std::lock_guard lock(mutex_);
    while (!pending_.empty()) finish(pending_.begin(), answer, answers);
  }
  send(answers);
}

std::size_t ReplyWaiters::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

std::size_t ReplyWaiters::kept_bytes() const {
  std::lock_guard lock(mutex_);
  return kept_bytes_;
}

void ReplyWaiters::keep(const std::string& id, const Response& reply, SteadyTime now, bool timed_out) {
  const std::size_t bytes = size_of(reply);
  if (bytes > limits_.max_kept_bytes) return;
  if (auto old = kept_.find(id); old != kept_.end()) {
    // A new attempt after a timeout answered: its reply takes the place of the 504.
    kept_bytes_ -= old->second.bytes;
    std::erase(kept_order_, id);
  }
  kept_bytes_ += bytes;
  kept_[id] = Kept{reply, now + limits_.keep, bytes, timed_out};
  kept_order_.push_back(id);
  while (kept_bytes_ > limits_.max_kept_bytes) {
    auto oldest = kept_.find(kept_order_.front());
    kept_bytes_ -= oldest->second.bytes;
    kept_.erase(oldest);
    kept_order_.pop_front();
  }
}

void ReplyWaiters::forget_kept(SteadyTime now) {
  while (!kept_order_.empty()) {
    auto oldest = kept_.find(kept_order_.front());
    if (oldest->second.expires > now) return;
    kept_bytes_ -= oldest->second.bytes;
    kept_.erase(oldest);
    kept_order_.pop_front();
  }
}

}  // namespace causeway::bridge
