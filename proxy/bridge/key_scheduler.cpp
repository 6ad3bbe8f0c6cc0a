#include "bridge/key_scheduler.h"

namespace causeway::bridge {

std::vector<KeyScheduler::Id> KeyScheduler::start_ready() {
  std::vector<Id> started;
  while (running_ < concurrency_ && !ready_.empty()) {
    started.push_back(ready_.front());
    ready_.pop_front();
    ++running_;
  }
  return started;
}

std::vector<KeyScheduler::Id> KeyScheduler::add(Id id, const std::optional<std::string>& key) {
  if (key) {
    auto& line = by_key_[*key];
    line.push_back(id);
    if (line.size() > 1) return {};  // behind an earlier message with the same key
  }
  ready_.push_back(id);
  return start_ready();
}

std::vector<KeyScheduler::Id> KeyScheduler::finish(Id id, const std::optional<std::string>& key) {
  if (running_ > 0) --running_;
  if (key) {
    auto line = by_key_.find(*key);
    if (line != by_key_.end()) {
      if (!line->second.empty() && line->second.front() == id) line->second.pop_front();
      if (line->second.empty()) {
        by_key_.erase(line);
      } else {
        ready_.push_back(line->second.front());
      }
    }
  }
  return start_ready();
}

std::vector<KeyScheduler::Id> KeyScheduler::backoff(Id) {
  if (running_ > 0) --running_;
  return start_ready();
}

std::vector<KeyScheduler::Id> KeyScheduler::retry(Id id) {
  ready_.push_front(id);
  return start_ready();
}

}  // namespace causeway::bridge
