#include "bridge/admission.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace causeway::bridge {

TokenBucket::TokenBucket(double rate, double burst) : rate_(rate), burst_(std::max(1.0, burst)), tokens_(burst_) {}

std::optional<std::chrono::milliseconds> TokenBucket::take(SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  if (last_ != SteadyClock::time_point{}) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed) * rate_);
  }
  last_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::nullopt;
  }
  const double wait_seconds = (1.0 - tokens_) / rate_;
  return std::chrono::milliseconds(static_cast<long>(std::ceil(wait_seconds * 1000)));
}

bool ConcurrencyLimit::enter() {
  std::size_t now = inside_.load();
  do {
    if (now >= limit_) return false;
  } while (!inside_.compare_exchange_weak(now, now + 1));
  return true;
}

void ConcurrencyLimit::leave() { inside_.fetch_sub(1); }

CircuitBreaker::CircuitBreaker(int failures, std::chrono::milliseconds open_for, std::string what)
    : threshold_(std::max(1, failures)), open_for_(open_for), what_(std::move(what)) {}

bool CircuitBreaker::allow(SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  if (state_ == State::open && now - opened_ >= open_for_) {
    state_ = State::half_open;
    probing_ = false;
  }
  switch (state_) {
    case State::closed: return true;
    case State::open: return false;
    case State::half_open:
      if (probing_) return false;
      probing_ = true;
      return true;
  }
  return true;
}

void CircuitBreaker::succeeded() {
  State was;
  {
    std::lock_guard lock(mutex_);
    was = state_;
    consecutive_ = 0;
    state_ = State::closed;
    probing_ = false;
  }
  // Transitions happen at most once per open_for: they need no log budget.
  if (was != State::closed && !what_.empty()) spdlog::info("{}: circuit breaker closed: a call went through again", what_);
}

void CircuitBreaker::failed(SteadyClock::time_point now) {
  State was;
  int failures;
  {
    std::lock_guard lock(mutex_);
    was = state_;
    failures = ++consecutive_;
    if (state_ == State::half_open || consecutive_ >= threshold_) {
      state_ = State::open;
      opened_ = now;
      probing_ = false;
    }
    if (state_ != State::open || was == State::open) return;
  }
  if (what_.empty()) return;
  if (was == State::half_open) {
    spdlog::warn("{}: circuit breaker open again: the trial call failed; calls are refused for {} ms", what_,
                 open_for_.count());
  } else {
    spdlog::warn("{}: circuit breaker opened after {} failure(s) in a row; calls are refused for {} ms", what_,
                 failures, open_for_.count());
  }
}

CircuitBreaker::State CircuitBreaker::state(SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  if (state_ == State::open && now - opened_ >= open_for_) return State::half_open;
  return state_;
}

std::chrono::milliseconds CircuitBreaker::retry_after(SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  if (state_ != State::open) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::max(SteadyClock::duration(0), opened_ + open_for_ - now));
}

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::closed: return "closed";
    case CircuitBreaker::State::open: return "open";
    case CircuitBreaker::State::half_open: return "half-open";
  }
  return "unknown";
}

}  // namespace causeway::bridge
