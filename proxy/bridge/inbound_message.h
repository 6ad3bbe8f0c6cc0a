#pragma once
// A message read from a broker, as the flows see it whatever the broker.

#include <cstdint>
#include <optional>
#include <string>

#include "bridge/exchange.h"

namespace causeway::bridge {

struct InboundMessage {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::optional<std::string> key;
  std::string value;
  Headers headers;  // as sent; names keep their case, values may be binary
};

}  // namespace causeway::bridge
