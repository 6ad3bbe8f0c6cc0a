#pragma once
// At-least-once bookkeeping for one partition: which offset may be committed, so that
// a restart never skips a message that was not handled. Pure; callers lock.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>

namespace causeway::kafka {

class OffsetTracker {
 public:
  // Offsets start in the order the partition gives them.
  void started(std::int64_t offset);
  // Handled for good: delivered, or dead-lettered.
  void handled(std::int64_t offset);

  // The offset to commit (the first one a restart must read again): the lowest one
  // not yet handled, or one past the last started. nullopt before anything started.
  std::optional<std::int64_t> commit_point() const;
  std::size_t unhandled() const { return unhandled_.size(); }

 private:
  std::set<std::int64_t> unhandled_;
  std::optional<std::int64_t> next_;
};

}  // namespace causeway::kafka
