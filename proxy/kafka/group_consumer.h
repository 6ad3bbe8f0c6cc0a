#pragma once
// A consumer group member that feeds a delivery flow: each assigned partition is a
// lane; an offset is committed only when every message before it was acknowledged, on
// a timer, on rebalance and on shutdown; partitions are held when the flow asks.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bridge/message_source.h"
#include "config/config.h"

namespace causeway::kafka {

class GroupConsumer : public bridge::MessageSource, public bridge::LaneControl {
 public:
  GroupConsumer(std::string route, std::string broker, std::string bootstrap,
                const std::vector<config::BrokerOption>& options, const config::TopicSource& source);
  ~GroupConsumer() override;
  GroupConsumer(const GroupConsumer&) = delete;
  GroupConsumer& operator=(const GroupConsumer&) = delete;

  // Joins the group and starts reading on a thread of its own.
  void start(bridge::MessageSink& sink) override;
  void stop(std::chrono::steady_clock::time_point deadline) override;
  bridge::LaneControl* control() override { return this; }
  bool reading() const override;
  std::vector<Lag> lag() override;

  void hold(const std::string& lane) override;
  void release(const std::string& lane) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::kafka
