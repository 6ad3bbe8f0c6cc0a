#pragma once
// Which deliveries may run: one at a time per key, so a key's messages reach the
// service in order, and at most `concurrency` at once overall. Keyless messages have
// no order to keep. A delivery waiting out a retry backoff keeps its key but gives
// its slot to others. Pure; callers lock.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace causeway::bridge {

class KeyScheduler {
 public:
  using Id = std::uint64_t;

  explicit KeyScheduler(std::size_t concurrency) : concurrency_(concurrency == 0 ? 1 : concurrency) {}

  // Each call returns the deliveries that may start now, in order.
  std::vector<Id> add(Id id, const std::optional<std::string>& key);
  std::vector<Id> finish(Id id, const std::optional<std::string>& key);  // handled for good
  std::vector<Id> backoff(Id id);  // waiting to retry: its slot goes to another
  std::vector<Id> retry(Id id);    // the backoff is over: it goes first in line

  std::size_t running() const { return running_; }
  std::size_t waiting() const { return ready_.size(); }

 private:
  std::vector<Id> start_ready();

  std::size_t concurrency_;
  std::size_t running_ = 0;
  std::deque<Id> ready_;                                   // free to run, waiting for a slot
  std::unordered_map<std::string, std::deque<Id>> by_key_;  // front: the one holding the key
};

}  // namespace causeway::bridge
