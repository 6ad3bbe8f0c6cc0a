#include "rabbitmq/publication_limits.h"

namespace causeway::rabbitmq {
namespace {

constexpr std::size_t kShortString = 255;
// Frame header and end, the content header's class, weight, body size and flags.
constexpr std::size_t kFrameOverhead = 8 + 14;

std::size_t shortstr(const std::optional<std::string>& value) { return value ? 1 + value->size() : 0; }

std::optional<std::string> too_long(const char* what, const std::optional<std::string>& value) {
  if (value && value->size() > kShortString) return std::string(what) + " is over 255 bytes";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> oversize(const Publication& publication, std::size_t frame_max) {
  const MessageProperties& p = publication.properties;
  if (publication.exchange.size() > kShortString) return "the exchange name is over 255 bytes";
  if (publication.routing_key.size() > kShortString) return "the routing key is over 255 bytes";
  for (const auto& [what, value] : {std::pair{"content-type", &p.content_type},
                                    {"content-encoding", &p.content_encoding},
                                    {"the correlation id", &p.correlation_id},
                                    {"reply-to", &p.reply_to},
                                    {"expiration", &p.expiration},
                                    {"the message id", &p.message_id},
                                    {"type", &p.type},
                                    {"user id", &p.user_id},
                                    {"app id", &p.app_id}}) {
    if (auto problem = too_long(what, *value)) return problem;
  }
  std::size_t size = kFrameOverhead + 8 + 1 + 1 + 4;  // timestamp, delivery mode, priority, table length
  for (const auto* value : {&p.content_type, &p.content_encoding, &p.correlation_id, &p.reply_to, &p.expiration,
                            &p.message_id, &p.type, &p.user_id, &p.app_id}) {
    size += shortstr(*value);
  }
  for (const bridge::Header& header : p.headers) {
    if (header.name.size() > kShortString) return "a header name is over 255 bytes";
    size += 1 + header.name.size() + 1 + 4 + header.value.size();
  }
  if (size > frame_max) {
    return "its properties and headers take " + std::to_string(size) + " bytes, over the " + std::to_string(frame_max) +
           " of one AMQP frame";
  }
  if (publication.body.size() > kMaxBodyBytes) return "the body is over RabbitMQ's 128MiB max_message_size";
  return std::nullopt;
}

}  // namespace causeway::rabbitmq
