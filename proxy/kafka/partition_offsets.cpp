#include "kafka/partition_offsets.h"

#include <algorithm>

namespace causeway::kafka {

PartitionOffsets::State* PartitionOffsets::current(const PartitionId& partition, std::uint64_t generation) {
  auto found = partitions_.find(partition);
  if (found == partitions_.end() || found->second.generation != generation) return nullptr;
  return &found->second;
}

std::uint64_t PartitionOffsets::assigned(const PartitionId& partition, std::optional<std::int64_t> max_handled) {
  std::lock_guard lock(mutex_);
  auto& state = partitions_[partition] = State{};
  state.generation = ++generation_;
  state.previous_max_handled = max_handled;
  return state.generation;
}

std::optional<CommitPoint> PartitionOffsets::revoked(const PartitionId& partition) {
  std::lock_guard lock(mutex_);
  auto found = partitions_.find(partition);
  if (found == partitions_.end()) return std::nullopt;
  std::optional<CommitPoint> point;
  if (auto offset = found->second.tracker.commit_point()) point = CommitPoint{partition, *offset, found->second.max_handled};
  partitions_.erase(found);
  return point;
}

bool PartitionOffsets::started(const PartitionId& partition, std::uint64_t generation, std::int64_t offset) {
  std::lock_guard lock(mutex_);
  State* state = current(partition, generation);
  if (!state) return false;
  state->tracker.started(offset);
  return state->previous_max_handled && offset <= *state->previous_max_handled;
}

void PartitionOffsets::handled(const PartitionId& partition, std::uint64_t generation, std::int64_t offset) {
  std::lock_guard lock(mutex_);
  State* state = current(partition, generation);
  if (!state) return;  // assigned again since: the next owner reads it again
  state->tracker.handled(offset);
  state->max_handled = std::max(state->max_handled, offset);
}

std::vector<CommitPoint> PartitionOffsets::commit_points() {
  std::lock_guard lock(mutex_);
  std::vector<CommitPoint> points;
  for (auto& [partition, state] : partitions_) {
    auto offset = state.tracker.commit_point();
    // The highest handled offset alone moving is worth a commit too: it is what tells
    // the next owner which messages it reads again were handled already.
    if (!offset || (offset == state.committed && state.max_handled == state.committed_max_handled)) continue;
    state.committed = offset;
    state.committed_max_handled = state.max_handled;
    points.push_back(CommitPoint{partition, *offset, state.max_handled});
  }
  return points;
}

void PartitionOffsets::commit_failed(const PartitionId& partition) {
  std::lock_guard lock(mutex_);
  if (auto found = partitions_.find(partition); found != partitions_.end()) {
    found->second.committed.reset();
    found->second.committed_max_handled = -1;
  }
}

std::optional<std::int64_t> PartitionOffsets::handled_point(const PartitionId& partition) {
  std::lock_guard lock(mutex_);
  auto found = partitions_.find(partition);
  if (found == partitions_.end()) return std::nullopt;
  return found->second.tracker.commit_point();
}

}  // namespace causeway::kafka
