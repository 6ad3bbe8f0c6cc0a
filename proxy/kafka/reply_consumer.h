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
  // produced from now on is seen. Throws std::runtime_error when the broker says the
  // topic lacks this instance's partition. When the broker does not answer within the
  // timeout (or the topic is not there yet), it goes on trying in the background and
  // problem() says why.
  void start(std::chrono::milliseconds timeout);
  // Why replies are not read yet (for /readyz); nullopt once they are.
  std::optional<std::string> problem() const;

  const std::string& topic() const;
  std::int32_t partition() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The number ending a host name ("causeway-2" -> 2), for reply_partition: ordinal.
std::optional<std::int32_t> host_ordinal(std::string_view host_name);

}  // namespace causeway::kafka
