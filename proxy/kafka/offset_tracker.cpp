#include "kafka/offset_tracker.h"

namespace causeway::kafka {

void OffsetTracker::started(std::int64_t offset) {
  unhandled_.insert(offset);
  if (!next_ || offset + 1 > *next_) next_ = offset + 1;
}

void OffsetTracker::handled(std::int64_t offset) { unhandled_.erase(offset); }

std::optional<std::int64_t> OffsetTracker::commit_point() const {
  if (!unhandled_.empty()) return *unhandled_.begin();
  return next_;
}

}  // namespace causeway::kafka
