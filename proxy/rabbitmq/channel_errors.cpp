#include "rabbitmq/channel_errors.h"

namespace causeway::rabbitmq {

std::optional<std::string> missing_exchange(std::string_view reply_text) {
  constexpr std::string_view kStart = "NOT_FOUND - no exchange '";
  constexpr std::string_view kEnd = "' in vhost '";
  if (!reply_text.starts_with(kStart)) return std::nullopt;
  reply_text.remove_prefix(kStart.size());
  const std::size_t end = reply_text.rfind(kEnd);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(reply_text.substr(0, end));
}

}  // namespace causeway::rabbitmq
