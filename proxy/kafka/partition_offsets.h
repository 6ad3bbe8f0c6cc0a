#pragma once
// At-least-once bookkeeping of a group member's partitions: which offset each may
// commit, so a restart never skips a message that was not handled, and the highest
// handled one, recorded with the commit so that the next owner can tell which messages
// it reads again were handled before. Acknowledgements of a partition assigned again
// since (an older generation) no longer count. Pure and thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kafka/offset_tracker.h"

namespace causeway::kafka {

struct PartitionId {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const PartitionId&) const = default;
};

struct CommitPoint {
  PartitionId partition;
  std::int64_t offset;       // the first offset a restart must read again
  std::int64_t max_handled;  // recorded with the commit, to recognize redeliveries later
};

class PartitionOffsets {
 public:
  // A partition came to this member; max_handled is what the last owner recorded.
  // Returns the generation its messages carry.
  std::uint64_t assigned(const PartitionId& partition, std::optional<std::int64_t> max_handled);
  // Its commit point, once; the partition is forgotten.
  std::optional<CommitPoint> revoked(const PartitionId& partition);

  // A message is handed to the flow; true when the last owner had handled it already.
  bool started(const PartitionId& partition, std::uint64_t generation, std::int64_t offset);
  void handled(const PartitionId& partition, std::uint64_t generation, std::int64_t offset);

  // Commit points that moved (offset, or the highest handled one) since the last call.
  std::vector<CommitPoint> commit_points();
  // The broker refused a commit: the partition's point is offered again next time.
  void commit_failed(const PartitionId& partition);
  // Where a restart would read the partition from now, if anything was read from it.
  std::optional<std::int64_t> handled_point(const PartitionId& partition);

 private:
  struct State {
    std::uint64_t generation = 0;
    OffsetTracker tracker;
    std::optional<std::int64_t> committed;
    std::int64_t committed_max_handled = -1;
    std::optional<std::int64_t> previous_max_handled;
    std::int64_t max_handled = -1;
  };
  State* current(const PartitionId& partition, std::uint64_t generation);

  std::mutex mutex_;
  std::map<PartitionId, State> partitions_;
  std::uint64_t generation_ = 0;
};

}  // namespace causeway::kafka
