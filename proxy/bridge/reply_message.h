#pragma once
// Reading a reply off the reply topic (DESIGN.md "Kafka wire contract"): its
// correlation id, and the HTTP answer it stands for.

#include <optional>
#include <string>
#include <vector>

#include "bridge/exchange.h"
#include "bridge/inbound_message.h"
#include "config/config.h"

namespace causeway::bridge {

struct ReplyMessage {
  std::string correlation_id;
  Response response;  // every header but the wire ones; the route picks what it passes on
};

// nullopt when the message has no correlation id. An unreadable status header gives
// a 502 answer that says so, since the caller is owed an answer either way.
std::optional<ReplyMessage> read_reply(InboundMessage message, const config::WireHeaders& wire);

// What the caller sees of a reply: content-type and the headers its route lists.
Response shape_reply(const Response& reply, const std::vector<std::string>& listed);

}  // namespace causeway::bridge
