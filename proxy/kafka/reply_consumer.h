#pragma once
// Reads one partition of a reply topic from its end, without a consumer group: each
// Causeway instance owns its reply partition, so no rebalance can ever move a reply
// away from the instance that holds the waiting request.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/inbound_message.h"
#include "config/config.h"

namespace causeway::kafka {

class ReplyConsumer {
 public:
  using OnMessage = std::function<void(bridge::InboundMessage)>;

  ReplyConsumer(std::string broker, std::string bootstrap, const std::vector<config::BrokerOption>& options,
                std::string topic, std::int32_t partition, OnMessage on_message);
  ~ReplyConsumer();
  ReplyConsumer(const ReplyConsumer&) = delete;
  ReplyConsumer& operator=(const ReplyConsumer&) = delete;

  // Positions the partition at its current end and starts reading, so every reply
  // produced from now on is seen. Throws std::runtime_error when the topic or the
  // partition does not exist or the broker does not answer within the timeout.
  void start(std::chrono::milliseconds timeout);

  const std::string& topic() const;
  std::int32_t partition() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The number ending a host name ("causeway-2" -> 2), for reply_partition: ordinal.
std::optional<std::int32_t> host_ordinal(std::string_view host_name);

}  // namespace causeway::kafka
