#include "bridge/reply_message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "bridge/failure.h"
#include "config/http_names.h"

namespace causeway::bridge {

namespace {
std::optional<int> parse_status(std::string_view text) {
  int status = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (error != std::errc{} || end != text.data() + text.size() || status < 100 || status > 599) return std::nullopt;
  return status;
}

}  // namespace

std::optional<ReplyMessage> read_reply(InboundMessage message, const config::WireHeaders& wire) {
  ReplyMessage reply;
  std::optional<std::string> status_text;
  bool has_id = false;
  for (auto& header : message.headers) {
    if (!has_id && config::same_name(header.name, wire.correlation_id)) {
      reply.correlation_id = std::move(header.value);
      has_id = true;
    } else if (config::same_name(header.name, wire.status)) {
      status_text = std::move(header.value);
    } else {
      reply.response.headers.push_back({config::lower_case(header.name), std::move(header.value)});
    }
  }
  if (!has_id) return std::nullopt;
  if (!status_text) {
    reply.response.status = 200;
  } else if (auto status = parse_status(*status_text)) {
    reply.response.status = *status;
  } else {
    reply.response = failure_response(Failure::bad_gateway, "the reply's status header is not an HTTP status");
    return reply;
  }
  reply.response.body = std::move(message.value);
  return reply;
}

Response shape_reply(const Response& reply, const std::vector<std::string>& listed) {
  Response shaped{reply.status, {}, reply.body};
  for (const auto& header : reply.headers) {
    bool wanted = header.name == "content-type" || std::find(listed.begin(), listed.end(), header.name) != listed.end();
    if (wanted) shaped.headers.push_back(header);
  }
  return shaped;
}

}  // namespace causeway::bridge
