#pragma once
// An AMQP message's basic properties, held apart from rabbitmq-c's pools so that the
// mapping to and from the flows' headers is plain code (header_mapping.h) and the
// library glue is one file (amqp_properties.h).

#include <cstdint>
#include <optional>
#include <string>

#include "bridge/exchange.h"

namespace causeway::rabbitmq {

struct MessageProperties {
  std::optional<std::string> content_type;
  std::optional<std::string> content_encoding;
  std::optional<std::string> correlation_id;
  std::optional<std::string> reply_to;
  std::optional<std::string> expiration;
  std::optional<std::string> message_id;
  std::optional<std::uint64_t> timestamp;  // seconds since the epoch
  std::optional<std::string> type;
  std::optional<std::string> user_id;
  std::optional<std::string> app_id;
  std::optional<std::uint8_t> delivery_mode;  // 2: persistent
  std::optional<std::uint8_t> priority;
  // The headers table. Written as strings; read with every value as text (field_text.h).
  bridge::Headers headers;
};

}  // namespace causeway::rabbitmq
