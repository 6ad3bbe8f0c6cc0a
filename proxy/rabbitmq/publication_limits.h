#pragma once
// What AMQP cannot carry, checked before a message is written: rabbitmq-c finds some of
// it only after the basic.publish frame went out, and a half-written message costs the
// whole connection.

#include <cstddef>
#include <optional>
#include <string>

#include "rabbitmq/header_mapping.h"

namespace causeway::rabbitmq {

// RabbitMQ's default max_message_size.
inline constexpr std::size_t kMaxBodyBytes = 128 * 1024 * 1024;

// Why the publication cannot be sent on a connection with this frame_max (short strings
// over 255 bytes, properties that do not fit one frame, a body over kMaxBodyBytes), or
// nullopt when it can.
std::optional<std::string> oversize(const Publication& publication, std::size_t frame_max);

}  // namespace causeway::rabbitmq
