#pragma once
// What RabbitMQ's channel.close texts say, where the adapter acts on it.

#include <optional>
#include <string>
#include <string_view>

namespace causeway::rabbitmq {

// "NOT_FOUND - no exchange 'orders' in vhost '/'" -> "orders": a publish named an
// exchange that does not exist (any more).
std::optional<std::string> missing_exchange(std::string_view reply_text);

}  // namespace causeway::rabbitmq
