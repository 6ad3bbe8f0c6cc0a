#pragma once
// Who may call a route or an upstream right now: a token bucket and a concurrency
// limit per route (429 when full), and a circuit breaker per upstream (503 while open).
// Pure and thread-safe; time is passed in so tests need no clock.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace causeway::bridge {

using SteadyClock = std::chrono::steady_clock;

// `rate` requests a second on average, up to `burst` at once.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst);
  // Takes a token; when there is none, how long until there will be one.
  std::optional<std::chrono::milliseconds> take(SteadyClock::time_point now);

 private:
  std::mutex mutex_;
  double rate_;
  double burst_;
  double tokens_;
  SteadyClock::time_point last_{};
};

class ConcurrencyLimit {
 public:
  explicit ConcurrencyLimit(std::size_t limit) : limit_(limit) {}
  bool enter();  // false when `limit` are already in
  void leave();
  std::size_t inside() const { return inside_.load(); }

 private:
  std::size_t limit_;
  std::atomic<std::size_t> inside_{0};
};

// Closed: calls go through, `failures` in a row open it. Open: calls are refused
// until `open_for` passed. Half-open: one probe goes through; its success closes the
// breaker, its failure opens it again.
class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };
  // `what` ("upstream 'orders'") names it in the log lines of its openings and closings;
  // empty: no log lines.
  CircuitBreaker(int failures, std::chrono::milliseconds open_for, std::string what = {});

  // May a call go through now? In half-open, true for the one probe only.
  bool allow(SteadyClock::time_point now);
  void succeeded();
  void failed(SteadyClock::time_point now);
  State state(SteadyClock::time_point now);
  // While open: until when.
  std::chrono::milliseconds retry_after(SteadyClock::time_point now);

 private:
  std::mutex mutex_;
  int threshold_;
  std::chrono::milliseconds open_for_;
  std::string what_;
  int consecutive_ = 0;
  State state_ = State::closed;
  SteadyClock::time_point opened_{};
  bool probing_ = false;
};

// "closed", "open" or "half-open", as the dashboard shows a breaker of an upstream or a broker.
std::string_view to_string(CircuitBreaker::State state);

}  // namespace causeway::bridge
