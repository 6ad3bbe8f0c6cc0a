#pragma once
// Requests waiting for their correlated reply, and the replies kept for polling and
// Idempotency-Key replays. Bookkeeping only: time is passed in, answers go to the
// callers' Responders (always outside the lock), nothing here does I/O. Thread-safe.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/correlation_id.h"
#include "bridge/exchange.h"

namespace causeway::bridge {

using SteadyTime = std::chrono::steady_clock::time_point;

struct ReplyLimits {
  std::size_t max_pending = 100000;
  std::chrono::milliseconds keep{std::chrono::minutes(5)};  // kept replies live this long
  std::size_t max_kept_bytes = 64 * 1024 * 1024;            // oldest kept replies go first beyond this
};

class ReplyWaiters {
 public:
  explicit ReplyWaiters(ReplyLimits limits);

  struct Wait {
    std::string id;     // the correlation id
    std::string route;  // for the 504's body and the timeout count
    SteadyTime deadline;
    bool keep_reply = false;           // Location polling or Idempotency-Key replays will ask again
    std::optional<Responder> caller;   // none when the caller got 202 + Location already
    // Reply headers the route passes on besides content-type; null passes every header.
    std::shared_ptr<const std::vector<std::string>> reply_headers;
    // With an Idempotency-Key: the request the key stands for while its id is pending or kept.
    std::optional<RequestDigest> digest;
    // Told the reply (or the 504 at the deadline, or the shutdown answer) besides the
    // callers: a reply callback. A duplicate that joins keeps the first one's.
    std::function<void(Response)> notify;
  };

  enum class Start {
    waiting,   // a new wait: produce the request now
    joined,    // the same id is already waiting: the caller gets that reply, produce nothing
    replayed,  // a kept reply answered the caller at once
    full,      // max_pending reached: nothing registered, the caller got 503
    reused,    // the id is pending or kept for another request (digest): nothing registered, the caller got 422
  };
  Start start(Wait wait, SteadyTime now);

  // The request could not be produced: its callers get this answer and nothing is kept.
  // Its notify is not told: the client heard the failure itself.
  void abandon(const std::string& id, const Response& answer);

  // A reply from the topic; false when nobody waits for it (late, unknown, duplicate).
  bool deliver(const std::string& id, Response reply, SteadyTime now);

  // GET on a Location: the kept reply, 202 while pending (after waiting until
  // wait_until for the reply, when given), or 404 for an unknown or expired id.
  void poll(const std::string& id, std::optional<SteadyTime> wait_until, SteadyTime now, Responder responder);

  // Answers callers whose deadline passed (504) and pollers whose wait ended (202),
  // and forgets kept replies past their time. Returns the routes that timed out.
  std::vector<std::string> expire(SteadyTime now);

  // Shutdown: every caller and poller still waiting gets this answer.
  void abandon_all(const Response& answer);

  std::size_t pending() const;
  std::size_t kept() const;  // replies kept, timeouts' 504s included
  std::size_t kept_bytes() const;

  // What keeping this reply costs in memory (what replies.max_kept bounds): the record,
  // its map and queue entries and the heap blocks of its strings, not only the body.
  static std::size_t kept_record_bytes(const std::string& id, const Response& reply);

 private:
  using Deadlines = std::multimap<SteadyTime, std::string>;  // request deadlines and poll ends, by id
  struct Poller {
    Deadlines::iterator until;
    Responder responder;
  };
  struct Pending {
    std::string route;
    Deadlines::iterator deadline;
    bool keep_reply = false;
    std::shared_ptr<const std::vector<std::string>> reply_headers;
    std::optional<RequestDigest> digest;
    std::function<void(Response)> notify;
    std::vector<Responder> callers;
    std::vector<Poller> pollers;
  };
  struct Kept {
    Response reply;
    SteadyTime expires;
    std::size_t bytes = 0;  // kept_record_bytes
    bool timed_out = false;  // told to a poller, never replayed to a new request
    std::optional<RequestDigest> digest;
  };
  // Responders, and the notify of a finished wait.
  struct Answers {
    std::vector<std::pair<Responder, Response>> responses;
    std::vector<std::pair<std::function<void(Response)>, Response>> notices;
    void emplace_back(Responder responder, Response response) {
      responses.emplace_back(std::move(responder), std::move(response));
    }
  };

  void keep(const std::string& id, const Response& reply, const std::optional<RequestDigest>& digest, SteadyTime now,
            bool timed_out = false);
  // Whether `wait` carries a key that the id's pending or kept request was made with for another request.
  bool reuses_key(const Wait& wait) const;
  void forget_kept(SteadyTime now);
  void forget_oldest_kept();
  // Removes a pending entry and its deadlines; its callers and pollers get answer, and
  // its notify too unless `notify` is false.
  void finish(std::unordered_map<std::string, Pending>::iterator entry, const Response& answer, Answers& answers,
              bool notify = true);
  static void send(Answers& answers);

  ReplyLimits limits_;
  mutable std::mutex mutex_;
  static constexpr std::size_t kIdleBuckets = 1024;
  std::unordered_map<std::string, Pending> pending_;
  Deadlines deadlines_;
  std::unordered_map<std::string, Kept> kept_;
  // Keys of kept_ (nodes do not move) in insertion order = expiry order, as keep is fixed.
  std::deque<const std::string*> kept_order_;
  std::size_t kept_bytes_ = 0;
};

// The 202 a poller gets while the reply is not there yet.
Response pending_response(const std::string& id);

// The 422 of a request whose Idempotency-Key names another request.
Response key_reused_response(std::string_view route);

}  // namespace causeway::bridge
