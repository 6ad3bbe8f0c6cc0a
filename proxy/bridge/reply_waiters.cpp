#include "bridge/reply_waiters.h"

#include <algorithm>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "bridge/failure.h"
#include "bridge/reply_message.h"

namespace causeway::bridge {

namespace {

// A heap block as glibc's malloc hands it out: the request plus an 8-byte header, in
// steps of 16, at least 32.
std::size_t heap_block(std::size_t bytes) {
  return bytes == 0 ? 0 : std::max<std::size_t>(32, (bytes + 8 + 15) & ~std::size_t{15});
}

// A string's own heap block; none while it fits in the string itself.
std::size_t heap_of(const std::string& text) {
  return text.capacity() > std::string().capacity() ? heap_block(text.capacity() + 1) : 0;
}

}  // namespace

Response pending_response(const std::string& id) {
  return Response{202,
                  {{"content-type", "application/json"}},
                  boost::json::serialize(boost::json::object{{"id", id}, {"status", "pending"}})};
}

Response key_reused_response(std::string_view route) {
  return failure_response(Failure::idempotency_key_reused,
                          "the Idempotency-Key was used for another request (its method, path, query or body differ); "
                          "a new request needs a new key",
                          route);
}

ReplyWaiters::ReplyWaiters(ReplyLimits limits) : limits_(limits) {}

void ReplyWaiters::send(Answers& answers) {
  for (auto& [responder, response] : answers.responses) responder(std::move(response));
  for (auto& [notify, response] : answers.notices) notify(std::move(response));
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
    if (reuses_key(wait)) {
      if (wait.caller) answers.emplace_back(std::move(*wait.caller), key_reused_response(wait.route));
      result = Start::reused;
    } else if (kept != kept_.end()) {
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
      entry.digest = wait.digest;
      entry.notify = std::move(wait.notify);
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
                          Answers& answers, bool notify) {
  auto& pending = entry->second;
  if (notify && pending.notify) answers.notices.emplace_back(std::move(pending.notify), answer);
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
    if (auto entry = pending_.find(id); entry != pending_.end()) finish(entry, answer, answers, false);
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
    if (entry->second.keep_reply) keep(id, reply, entry->second.digest, now);
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
        if (pending.callers.empty() && pending.keep_reply) keep(entry->first, answer, pending.digest, now, true);
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
    // Hash tables keep their bucket arrays at their largest size; once a burst has gone,
    // theirs (about 1 MiB for 100k replies) go back with the rest.
    if (pending_.empty() && pending_.bucket_count() > kIdleBuckets) pending_.rehash(0);
    if (kept_.empty() && kept_.bucket_count() > kIdleBuckets) {
      kept_.rehash(0);
      kept_order_.shrink_to_fit();
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

std::size_t ReplyWaiters::kept() const {
  std::lock_guard lock(mutex_);
  return kept_.size();
}

std::size_t ReplyWaiters::kept_bytes() const {
  std::lock_guard lock(mutex_);
  return kept_bytes_;
}

bool ReplyWaiters::reuses_key(const Wait& wait) const {
  if (!wait.digest) return false;
  const auto differs = [&](const std::optional<RequestDigest>& known) { return known && *known != *wait.digest; };
  // A kept timeout and a new attempt's wait may both be there: either names the key's request.
  if (auto kept = kept_.find(wait.id); kept != kept_.end() && differs(kept->second.digest)) return true;
  auto pending = pending_.find(wait.id);
  return pending != pending_.end() && differs(pending->second.digest);
}

std::size_t ReplyWaiters::kept_record_bytes(const std::string& id, const Response& reply) {
  // The map's node (next pointer, key, record, cached hash) with about two bucket pointers,
  // the order queue's pointer to the key, and every heap block the id and the reply hold.
  std::size_t bytes = heap_block(sizeof(void*) + sizeof(std::string) + sizeof(Kept) + sizeof(std::size_t)) +
                      3 * sizeof(void*) + heap_of(id);
  bytes += heap_of(reply.body) + heap_block(reply.headers.capacity() * sizeof(Header));
  for (const auto& header : reply.headers) bytes += heap_of(header.name) + heap_of(header.value);
  return bytes;
}

void ReplyWaiters::keep(const std::string& id, const Response& reply, const std::optional<RequestDigest>& digest,
                        SteadyTime now, bool timed_out) {
  // Counted on the copy that is kept: a copy's strings and vector hold no spare capacity.
  Kept record{reply, now + limits_.keep, 0, timed_out, digest};
  record.bytes = kept_record_bytes(id, record.reply);
  const std::size_t bytes = record.bytes;
  if (bytes > limits_.max_kept_bytes) return;
  if (auto old = kept_.find(id); old != kept_.end()) {
    // A new attempt after a timeout answered: its reply takes the place of the 504.
    kept_bytes_ -= old->second.bytes;
    std::erase(kept_order_, &old->first);
  }
  kept_bytes_ += bytes;
  const auto entry = kept_.insert_or_assign(id, std::move(record)).first;
  kept_order_.push_back(&entry->first);
  while (kept_bytes_ > limits_.max_kept_bytes) forget_oldest_kept();
}

void ReplyWaiters::forget_oldest_kept() {
  auto oldest = kept_.find(*kept_order_.front());
  kept_order_.pop_front();
  kept_bytes_ -= oldest->second.bytes;
  kept_.erase(oldest);
}

void ReplyWaiters::forget_kept(SteadyTime now) {
  while (!kept_order_.empty() && kept_.find(*kept_order_.front())->second.expires <= now) forget_oldest_kept();
}

}  // namespace causeway::bridge
