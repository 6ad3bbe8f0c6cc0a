#pragma once
// A consumer group member that feeds one delivery flow: it commits only what the flow
// has handled, on a timer, on rebalance and on shutdown, and pauses partitions when
// the flow asks.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bridge/delivery_flow.h"
#include "config/config.h"

namespace causeway::kafka {

class GroupConsumer : public bridge::PartitionControl {
 public:
  GroupConsumer(std::string broker, std::string bootstrap, const std::vector<config::BrokerOption>& options,
                const config::TopicSource& source, bridge::DeliveryFlow& flow);
  ~GroupConsumer() override;
  GroupConsumer(const GroupConsumer&) = delete;
  GroupConsumer& operator=(const GroupConsumer&) = delete;

  void start();  // joins the group and starts reading on a thread of its own
  // Draining: stops fetching, lets deliveries in flight finish until the deadline,
  // commits what was handled and leaves the group.
  void stop(std::chrono::steady_clock::time_point deadline);

  void pause(const bridge::PartitionId& partition) override;
  void resume(const bridge::PartitionId& partition) override;

  struct Lag {
    std::int32_t partition;
    std::int64_t messages;  // at the end of the partition and not yet handled
  };
  std::vector<Lag> lag();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::kafka
