#include "bridge/delivery_message.h"

#include "config/http_names.h"
#include "policy/backoff.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace causeway::bridge {

using config::is_field_value;
using config::is_token;
using config::same_name;

namespace {
const std::string* find_named(const Headers& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (same_name(header.name, name)) return &header.value;
  }
  return nullptr;
}

// Path variables may hold anything: everything but unreserved characters is escaped,
// so a key like "../admin" stays one harmless segment.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::optional<std::int32_t> read_partition(const std::string& text, config::WireHeaders::PartitionEncoding encoding) {
  if (encoding == config::WireHeaders::PartitionEncoding::int32 && text.size() == 4) {
    auto byte = [&](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(text[i])); };
    return static_cast<std::int32_t>(byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3));
  }
  std::int32_t partition = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), partition);
  if (error != std::errc{} || end != text.data() + text.size() || partition < 0) return std::nullopt;
  return partition;
}

}  // namespace

routing::Captures message_variables(const InboundMessage& message) {
  routing::Captures variables{{"topic", message.topic}, {"key", message.key.value_or("")}};
  for (const auto& [name, value] : message.origin) {
    std::string variable = name;
    std::replace(variable.begin(), variable.end(), '-', '_');
    if (variable != "topic") variables.push_back({std::move(variable), value});
  }
  return variables;
}

ServiceCall service_call(const config::UpstreamTarget& target, const InboundMessage& message) {
  ServiceCall call;
  call.method = target.method.value_or("POST");
  routing::Captures variables = message_variables(message);
  for (auto& variable : variables) variable.value = percent_encode(variable.value);
  if (target.rpc) {
    call.target = "/" + target.rpc->name;  // a gRPC upstream's method, as its :path
  } else if (target.path) {
    call.target = target.path->is_literal() ? target.path->text() : target.path->render(variables);
  }
  // Set below from the message itself: a producer cannot forge them.
  Headers ours;
  for (const auto& [name, value] : message.origin) ours.push_back({message.origin_prefix + name, value});
  ours.push_back({message.origin_prefix + "key", message.key.value_or("")});
  for (const auto& header : message.headers) {
    if (!is_token(header.name) || !is_field_value(header.value)) continue;  // binary headers stay on the broker
    const bool forged = std::any_of(ours.begin(), ours.end(), [&](const Header& own) { return same_name(own.name, header.name); });
    if (forged) continue;
    std::string name = header.name;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    call.headers.push_back({std::move(name), header.value});
  }
  if (!message.key) ours.pop_back();  // no key: no key header
  for (auto& header : ours) {
    if (is_field_value(header.value)) call.headers.push_back(std::move(header));
  }
  call.body = message.value;
  if (target.timeout) call.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*target.timeout);
  return call;
}

Verdict judge(const ServiceResult& result) {
  if (!result.response) return Verdict::retry;
  const int status = result.response->status;
  if (status >= 200 && status < 300) return Verdict::handled;
  if (status == 408 || status == 429 || status >= 500) return Verdict::retry;
  return Verdict::dead_letter;
}

std::chrono::milliseconds backoff_delay(const config::RetryPolicy& policy, int failures, double random) {
  return policy::jittered_backoff(policy.backoff, policy.max_backoff, failures, random);
}

OutboundMessage dead_letter_message(const InboundMessage& message, const std::string& topic, int attempts,
                                    const std::string& error) {
  OutboundMessage out;
  out.topic = topic;
  out.key = message.key;
  out.value = message.value;
  out.headers = message.headers;
  for (const auto& [name, value] : message.origin) out.headers.push_back({"dlt-original-" + name, value});
  out.headers.push_back({"dlt-attempts", std::to_string(attempts)});
  out.headers.push_back({"dlt-error", error});
  return out;
}

std::optional<OutboundMessage> reply_message(const InboundMessage& message, const config::WireHeaders& wire,
                                             const Response& answer) {
  const auto* id = find_named(message.headers, wire.correlation_id);
  const auto* reply_to = find_named(message.headers, wire.reply_to);
  if (!id || !reply_to || reply_to->empty()) return std::nullopt;
  OutboundMessage out;
  out.topic = *reply_to;
  out.to_reply_address = true;
  if (const auto* partition = find_named(message.headers, wire.reply_partition)) {
    out.partition = read_partition(*partition, wire.reply_partition_encoding);
  }
  out.key = message.key;
  out.value = answer.body;
  out.headers.push_back({wire.correlation_id, *id});
  out.headers.push_back({wire.status, std::to_string(answer.status)});
  if (const auto* content_type = find_header(answer.headers, "content-type")) {
    out.headers.push_back({"content-type", *content_type});
  }
  if (const auto* traceparent = find_named(message.headers, "traceparent")) {
    out.headers.push_back({"traceparent", *traceparent});
  }
  return out;
}

std::string describe(const ServiceResult& result) {
  if (result.response) {
    std::string line = std::to_string(result.response->status) + " from the service";
    return result.error.empty() ? line : line + " (" + result.error + ")";
  }
  return result.error.empty() ? "no answer from the service" : result.error;
}

}  // namespace causeway::bridge
