// The request-reply bookkeeping under any sequence of starts (with and without a
// waiting caller, with Idempotency-Key keeping), replies, abandons, polls, long polls,
// expiries and a shutdown, checked against a model of which ids wait:
// - every caller and poller is answered exactly once, outside the lock, never with the
//   "dropped without an answer" 500, and only when its wait ends;
// - start, deliver and expire agree with the model; pending and kept bytes stay bounded;
// - a kept reply answers a poll at once, and an id that waits again polls as 202;
// - an Idempotency-Key's start for another request (digest) than the one waiting is 422.
//
// Input: two bytes of limits, then operations of two bytes each (what, and an argument).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/failure.h"
#include "bridge/reply_message.h"
#include "bridge/reply_waiters.h"

namespace {

using namespace causeway::bridge;
using std::chrono::milliseconds;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

constexpr std::string_view kDropped = "the request was dropped without an answer";

// What each caller and poller heard, by the index it was given.
struct Ears {
  ReplyWaiters* waiters = nullptr;
  std::vector<std::vector<Response>> heard;

  std::size_t add() {
    heard.emplace_back();
    return heard.size() - 1;
  }
  Responder responder(std::size_t index) {
    return Responder([this, index](Response response) {
      // Answers come outside the lock: a responder may call back in (this would deadlock).
      if (waiters) waiters->pending();
      check(response.body.find(kDropped) == std::string::npos);
      heard[index].push_back(std::move(response));
    });
  }
  std::size_t count(std::size_t index) const { return heard[index].size(); }
  int status(std::size_t index) const { return heard[index].back().status; }
};

// What the model knows of an id that waits.
struct Waiting {
  SteadyTime deadline;
  bool keep = false;
  bool sync_callers = false;  // some start came with a caller
  std::shared_ptr<const std::vector<std::string>> reply_headers;
  std::optional<RequestDigest> digest;  // the first start's: the request its Idempotency-Key stands for
  std::vector<std::size_t> callers;
  std::vector<std::pair<std::size_t, SteadyTime>> pollers;  // parked long polls and when they end
};


class Run {
 public:
  explicit Run(ReplyLimits limits) : limits_(limits), waiters_(limits) { ears_.waiters = &waiters_; }

  void step(std::uint8_t what, std::uint8_t arg) {
    const std::string id = "id" + std::to_string((what >> 3) & 3);
    switch (what & 7) {
      case 0: start(id, arg, true); break;
      case 1: start(id, arg, false); break;
      case 2: deliver(id, arg); break;
      case 3: abandon(id); break;
      case 4: poll(id, arg); break;
      case 5:
        now_ += milliseconds(arg * 10);
        expire();
        break;
      case 6: now_ += milliseconds(arg * 10); break;
      case 7:
        if (arg == 0) abandon_all();
        break;
    }
    check(waiters_.pending() == model_.size());
    check(waiters_.pending() <= limits_.max_pending);
    check(waiters_.kept_bytes() <= limits_.max_kept_bytes);
    for (const auto& [id, waiting] : model_) {
      for (std::size_t caller : waiting.callers) check(ears_.count(caller) == 0);
      for (const auto& [poller, until] : waiting.pollers) check(ears_.count(poller) == 0);
    }
  }

  // Shutdown, then the waiters go: everyone heard exactly one answer.
  void finish() {
    abandon_all();
    ears_.waiters = nullptr;
    for (std::size_t i = 0; i < ears_.heard.size(); ++i) check(ears_.count(i) == 1);
  }

 private:
  void start(const std::string& id, std::uint8_t arg, bool with_caller) {
    ReplyWaiters::Wait wait{id, id, now_ + milliseconds(arg * 10), with_caller ? (arg & 1) == 1 : true,
                            std::nullopt, {}, std::nullopt, {}};
    // No key's digest, or one of two requests the same key may stand for.
    if (const int request = (arg >> 2) & 3; request != 0) {
      wait.digest = RequestDigest{static_cast<std::uint8_t>(request & 1)};
    }
    const auto digest = wait.digest;
    if (arg & 2) wait.reply_headers = std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"x-a"});
    const auto headers = wait.reply_headers;
    std::optional<std::size_t> caller;
    if (with_caller) {
      caller = ears_.add();
      wait.caller = ears_.responder(*caller);
    }
    const bool keep = wait.keep_reply;
    const SteadyTime deadline = wait.deadline;
    const bool was_waiting = model_.contains(id);
    // Another request under the key of one that waits: 422, never joined to it.
    const auto waiting_digest = was_waiting ? model_[id].digest : std::nullopt;
    const bool other_request = digest && waiting_digest && *waiting_digest != *digest;
    const ReplyWaiters::Start result = waiters_.start(std::move(wait), now_);
    check(!other_request || result == ReplyWaiters::Start::reused);
    switch (result) {
      case ReplyWaiters::Start::waiting: {
        check(!was_waiting && model_.size() < limits_.max_pending);
        Waiting& entry = model_[id];
        entry = Waiting{deadline, keep, with_caller, headers, digest, {}, {}};
        if (caller) entry.callers.push_back(*caller);
        break;
      }
      case ReplyWaiters::Start::joined: {
        check(was_waiting);
        Waiting& entry = model_[id];
        entry.keep = entry.keep || keep;
        entry.sync_callers = entry.sync_callers || with_caller;
        if (caller) entry.callers.push_back(*caller);
        break;
      }
      case ReplyWaiters::Start::replayed:
        check(!was_waiting);
        if (caller) check(ears_.count(*caller) == 1);
        break;
      case ReplyWaiters::Start::full:
        check(!was_waiting && model_.size() >= limits_.max_pending);
        if (caller) check(ears_.count(*caller) == 1 && ears_.status(*caller) == 503);
        break;
      case ReplyWaiters::Start::reused:
        // Against a waiting request with another digest, or a kept one (which the model does not
        // follow); never against the very request that waits, whose kept answer, if any, is its own.
        check(digest.has_value() && !(was_waiting && waiting_digest == digest));
        if (caller) check(ears_.count(*caller) == 1 && ears_.status(*caller) == 422);
        break;
    }
  }

  // Everyone waiting on an entry that ended heard `status` (or, for a poller, `other`).
  void answered(const Waiting& waiting, int status, int other) {
    for (std::size_t caller : waiting.callers) check(ears_.count(caller) == 1 && ears_.status(caller) == status);
    for (const auto& [poller, until] : waiting.pollers) {
      check(ears_.count(poller) == 1 && (ears_.status(poller) == status || ears_.status(poller) == other));
    }
  }

  void deliver(const std::string& id, std::uint8_t arg) {
    Response reply{200 + arg % 5, {{"content-type", "text/plain"}, {"x-a", "a"}, {"x-b", "b"}}, std::string(arg % 40, 'r')};
    const auto found = model_.find(id);
    check(waiters_.deliver(id, reply, now_) == (found != model_.end()));
    if (found == model_.end()) return;
    const Waiting waiting = std::move(found->second);
    model_.erase(found);
    answered(waiting, reply.status, reply.status);
    const Response shaped = waiting.reply_headers ? shape_reply(reply, *waiting.reply_headers) : reply;
    if (waiting.keep && limits_.keep.count() > 0 && ReplyWaiters::kept_record_bytes(id, shaped) <= limits_.max_kept_bytes) {
      expect_poll(id, shaped.status);
    }
  }

  void abandon(const std::string& id) {
    waiters_.abandon(id, Response{503, {}, "abandoned"});
    if (const auto found = model_.find(id); found != model_.end()) {
      answered(found->second, 503, 503);
      model_.erase(found);
    }
  }

  // A poll answered at once with this status.
  void expect_poll(const std::string& id, int status) {
    const std::size_t poller = ears_.add();
    waiters_.poll(id, std::nullopt, now_, ears_.responder(poller));
    check(ears_.count(poller) == 1 && ears_.status(poller) == status);
  }

  void poll(const std::string& id, std::uint8_t arg) {
    const std::optional<SteadyTime> until =
        (arg & 1) ? std::optional(now_ + milliseconds(arg * 10)) : std::optional<SteadyTime>();
    const std::size_t poller = ears_.add();
    waiters_.poll(id, until, now_, ears_.responder(poller));
    const auto found = model_.find(id);
    if (found == model_.end()) {
      check(ears_.count(poller) == 1);  // a kept reply or 404
      return;
    }
    if (until && *until > now_) {
      check(ears_.count(poller) == 0);
      found->second.pollers.emplace_back(poller, *until);
    } else {
      // Waiting, so still pending, whatever an earlier attempt left kept.
      check(ears_.count(poller) == 1 && ears_.status(poller) == 202);
    }
  }

  void expire() {
    std::vector<std::string> expected;
    for (const auto& [id, waiting] : model_) {
      if (waiting.deadline <= now_) expected.push_back(id);
    }
    std::vector<std::string> timed_out = waiters_.expire(now_);
    std::sort(timed_out.begin(), timed_out.end());
    check(timed_out == expected);
    std::vector<std::string> kept;
    for (const std::string& id : expected) {
      const Waiting waiting = std::move(model_[id]);
      model_.erase(id);
      answered(waiting, 504, 202);  // a poll due at the same time may have heard 202 first
      // A request nobody waits on synchronously keeps its 504 for its Location.
      const Response timeout = failure_response(Failure::timeout, "no reply before the route's timeout", id);
      if (!waiting.sync_callers && waiting.keep && limits_.keep.count() > 0 &&
          ReplyWaiters::kept_record_bytes(id, timeout) <= limits_.max_kept_bytes) {
        kept.push_back(id);
      }
    }
    // Several may not fit in the kept bytes together; one alone does.
    if (kept.size() == 1) expect_poll(kept.front(), 504);
    for (auto& [id, waiting] : model_) {
      std::erase_if(waiting.pollers, [&](const auto& parked) {
        if (parked.second > now_) return false;
        check(ears_.count(parked.first) == 1 && ears_.status(parked.first) == 202);
        return true;
      });
    }
  }

  void abandon_all() {
    waiters_.abandon_all(Response{503, {}, "draining"});
    for (const auto& [id, waiting] : model_) answered(waiting, 503, 503);
    model_.clear();
  }

  ReplyLimits limits_;
  Ears ears_;  // outlives the waiters, whose destructor may still answer
  ReplyWaiters waiters_;
  SteadyTime now_{};
  std::map<std::string, Waiting> model_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  ReplyLimits limits;
  limits.max_pending = 1 + (data[0] & 3);
  limits.keep = milliseconds((data[0] >> 2) * 100);  // 0 to 6.3 s
  // A kept record counts its whole footprint (some 300 bytes and more): up to 4 KiB.
  limits.max_kept_bytes = data[1] * 16;
  Run run(limits);
  for (std::size_t i = 2; i + 1 < size; i += 2) run.step(data[i], data[i + 1]);
  run.finish();
  return 0;
}
