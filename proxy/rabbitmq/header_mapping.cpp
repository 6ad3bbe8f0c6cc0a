#include "rabbitmq/header_mapping.h"

#include <charconv>

namespace causeway::rabbitmq {
namespace {

constexpr std::string_view kContentType = "content-type";
constexpr std::string_view kContentEncoding = "content-encoding";
constexpr std::string_view kMessageId = "amqp-message-id";
constexpr std::string_view kTimestamp = "amqp-timestamp";
constexpr std::string_view kType = "amqp-type";
constexpr std::string_view kAppId = "amqp-app-id";
constexpr std::string_view kPriority = "amqp-priority";
constexpr std::string_view kUserId = "amqp-user-id";
constexpr std::string_view kExpiration = "amqp-expiration";
constexpr std::string_view kDeliveryMode = "amqp-delivery-mode";

template <typename Number>
std::optional<Number> parse_number(std::string_view text, Number max) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value > max) return std::nullopt;
  return static_cast<Number>(value);
}

// A header that is one of the properties sets it and is consumed; false for the table.
bool take_property(bridge::Header& header, const config::WireHeaders& wire, MessageProperties& properties) {
  std::string& value = header.value;
  if (header.name == wire.correlation_id) {
    properties.correlation_id = std::move(value);
  } else if (header.name == wire.reply_to) {
    properties.reply_to = std::move(value);
  } else if (header.name == kContentType) {
    properties.content_type = std::move(value);
  } else if (header.name == kContentEncoding) {
    properties.content_encoding = std::move(value);
  } else if (header.name == kMessageId) {
    properties.message_id = std::move(value);
  } else if (header.name == kType) {
    properties.type = std::move(value);
  } else if (header.name == kAppId) {
    properties.app_id = std::move(value);
  } else if (header.name == kTimestamp && parse_number<std::uint64_t>(value, UINT64_MAX)) {
    properties.timestamp = parse_number<std::uint64_t>(value, UINT64_MAX);
  } else if (header.name == kPriority && parse_number<std::uint8_t>(value, 255)) {
    properties.priority = parse_number<std::uint8_t>(value, 255);
  } else {
    return false;
  }
  return true;
}

void add(bridge::Headers& headers, std::string_view name, const std::optional<std::string>& value) {
  if (value) headers.push_back({std::string(name), *value});
}

template <typename Number>
void add(bridge::Headers& headers, std::string_view name, const std::optional<Number>& value) {
  if (value) headers.push_back({std::string(name), std::to_string(*value)});
}

}  // namespace

Publication to_publication(bridge::OutboundMessage message, const config::WireHeaders& wire,
                           std::uint64_t now_seconds) {
  Publication out;
  if (message.to_reply_address) {
    out.routing_key = std::move(message.topic);
  } else {
    out.exchange = std::move(message.topic);
    out.routing_key = message.key.value_or("");
  }
  for (bridge::Header& header : message.headers) {
    if (!take_property(header, wire, out.properties)) out.properties.headers.push_back(std::move(header));
  }
  if (!out.properties.message_id && out.properties.correlation_id)
    out.properties.message_id = out.properties.correlation_id;
  if (!out.properties.timestamp) out.properties.timestamp = now_seconds;
  out.properties.delivery_mode = kPersistent;
  out.body = std::move(message.value);
  return out;
}

bridge::InboundMessage to_inbound(MessageProperties properties, std::string body, const Arrival& arrival,
                                  const config::WireHeaders& wire) {
  bridge::InboundMessage message;
  message.topic = arrival.queue;
  // Through the default exchange the routing key is the queue's own name, the same for
  // every message: as an ordering key it would make the queue one line (requests come so).
  if (!arrival.exchange.empty()) message.key = arrival.routing_key;
  message.value = std::move(body);
  bridge::Headers& headers = message.headers;
  add(headers, wire.correlation_id, properties.correlation_id);
  add(headers, wire.reply_to, properties.reply_to);
  add(headers, kContentType, properties.content_type);
  add(headers, kContentEncoding, properties.content_encoding);
  add(headers, kMessageId, properties.message_id);
  add(headers, kTimestamp, properties.timestamp);
  add(headers, kType, properties.type);
  add(headers, kAppId, properties.app_id);
  add(headers, kPriority, properties.priority);
  add(headers, kUserId, properties.user_id);
  add(headers, kExpiration, properties.expiration);
  add(headers, kDeliveryMode, properties.delivery_mode);
  for (bridge::Header& header : properties.headers) headers.push_back(std::move(header));
  message.origin = {{"exchange", arrival.exchange}, {"routing-key", arrival.routing_key}, {"queue", arrival.queue}};
  message.origin_prefix = std::string(kOriginPrefix);
  return message;
}

}  // namespace causeway::rabbitmq
