#include "bridge/body_stream.h"

#include <utility>

namespace causeway::bridge {

BodyStream::BodyStream(std::size_t max_buffered, std::chrono::milliseconds idle, std::string idle_bytes)
    : max_buffered_(max_buffered), idle_(idle), idle_bytes_(std::move(idle_bytes)) {}

BodyStream::~BodyStream() {
  // A stream dropped before it ended (the listener went away) still tells its producer.
  std::unique_lock lock(mutex_);
  if (!ended_) end_locked(kClientClosed, lock);
}

bool BodyStream::push(std::string bytes) {
  std::unique_lock lock(mutex_);
  if (ended_) return false;
  if (bytes_ + bytes.size() > max_buffered_) {
    chunks_.clear();
    bytes_ = 0;
    end_locked(kSlowReader, lock);
    return false;
  }
  bytes_ += bytes.size();
  chunks_.push_back(std::move(bytes));
  auto ready = std::exchange(ready_, nullptr);
  lock.unlock();
  if (ready) ready();
  return true;
}

void BodyStream::end(std::string reason) {
  std::unique_lock lock(mutex_);
  if (!ended_) end_locked(std::move(reason), lock);
}

// Unlocks: the callbacks may unsubscribe from a broker, which must not run under the lock.
void BodyStream::end_locked(std::string reason, std::unique_lock<std::mutex>& lock) {
  ended_ = reason;
  auto ready = std::exchange(ready_, nullptr);
  auto ended = std::exchange(on_end_, {});
  lock.unlock();
  if (ready) ready();
  for (auto& callback : ended) callback(reason);
}

void BodyStream::when_ready(std::function<void()> ready) {
  std::unique_lock lock(mutex_);
  if (!chunks_.empty() || ended_) {
    lock.unlock();
    ready();
    return;
  }
  ready_ = std::move(ready);
}

BodyStream::Taken BodyStream::take() {
  std::lock_guard lock(mutex_);
  Taken taken{std::move(chunks_), ended_};
  chunks_.clear();
  bytes_ = 0;
  return taken;
}

void BodyStream::on_end(std::function<void(const std::string& reason)> ended) {
  std::unique_lock lock(mutex_);
  if (ended_) {
    const std::string reason = *ended_;
    lock.unlock();
    ended(reason);
    return;
  }
  on_end_.push_back(std::move(ended));
}

std::size_t BodyStream::buffered() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace causeway::bridge
