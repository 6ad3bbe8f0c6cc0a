#include "rabbitmq/rabbit_settings.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "config/config_node.h"
#include "config/tls_parser.h"
#include "config/units.h"

namespace causeway::rabbitmq {
namespace {

using config::ConfigNode;
using config::Mapping;

AmqpUrl parse_url(const ConfigNode& node) {
  std::string why;
  std::optional<AmqpUrl> url = parse_amqp_url(node.string(), why);
  if (!url) node.fail(why);
  return *url;
}

// AMQP negotiates heartbeats in whole seconds, up to 65535.
config::Duration parse_heartbeat(const ConfigNode& node) {
  const config::Duration heartbeat = node.duration();
  if (heartbeat.count() % 1000 != 0 || heartbeat > 65535s)
    node.fail("expected whole seconds up to 65535s, or 0s for none");
  return heartbeat;
}

config::Duration parse_positive_duration(const ConfigNode& node) {
  const config::Duration duration = node.duration();
  if (duration <= config::Duration::zero()) node.fail("expected a duration above 0");
  return duration;
}

RabbitOptions parse_options(const ConfigNode& node) {
  const Mapping map(node, {"heartbeat", "prefetch", "queue_type", "declare", "confirm_timeout", "connect_timeout"});
  RabbitOptions options;
  if (auto value = map.optional("heartbeat")) options.heartbeat = parse_heartbeat(*value);
  // basic.qos takes 16 bits; 0 would mean unlimited, and the prefetch is the back-pressure.
  if (auto value = map.optional("prefetch")) options.prefetch = static_cast<std::uint16_t>(value->integer(1, 65535));
  if (auto value = map.optional("queue_type")) {
    options.queue_type = value->one_of<QueueType>({{"classic", QueueType::classic}, {"quorum", QueueType::quorum}});
  }
  if (auto value = map.optional("declare")) options.declare = value->boolean();
  if (auto value = map.optional("confirm_timeout")) options.confirm_timeout = parse_positive_duration(*value);
  if (auto value = map.optional("connect_timeout")) options.connect_timeout = parse_positive_duration(*value);
  return options;
}

bool same_file(const std::optional<config::FileSetting>& a, const std::optional<config::FileSetting>& b) {
  return a.has_value() == b.has_value() && (!a || a->path == b->path);
}

bool same_tls(const std::optional<config::UpstreamTls>& a, const std::optional<config::UpstreamTls>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return same_file(a->ca, b->ca) && a->verify == b->verify && a->server_name == b->server_name &&
         same_file(a->cert, b->cert) && same_file(a->key, b->key);
}

boost::json::object describe_tls(const config::UpstreamTls& tls) {
  boost::json::object out{{"verify", tls.verify}, {"server_name", tls.server_name}};
  out["ca"] = tls.ca ? boost::json::value(tls.ca->path) : boost::json::value("system trust store");
  if (tls.cert) out["cert"] = tls.cert->path;
  if (tls.key) out["key"] = tls.key->path;
  return out;
}

}  // namespace

bool RabbitSettings::operator==(const RabbitSettings& other) const {
  return url == other.url && options == other.options && same_tls(tls, other.tls);
}

bool RabbitSettings::equals(const config::BrokerSettings& other) const {
  const auto* rabbit = dynamic_cast<const RabbitSettings*>(&other);
  return rabbit && *this == *rabbit;
}

boost::json::object RabbitSettings::describe() const {
  boost::json::object shown_options{
      {"heartbeat", config::format_duration(options.heartbeat)},
      {"prefetch", options.prefetch},
      {"queue_type", options.queue_type == QueueType::quorum ? "quorum" : "classic"},
      {"declare", options.declare},
      {"confirm_timeout", config::format_duration(options.confirm_timeout)},
      {"connect_timeout", config::format_duration(options.connect_timeout)},
  };
  boost::json::object out{{"url", url.redacted()}, {"options", std::move(shown_options)}};
  if (tls) out["tls"] = describe_tls(*tls);
  return out;
}

config::BrokerKind rabbit_kind() {
  config::BrokerKind kind;
  kind.type = "rabbitmq";
  kind.keys = {"url", "options", "tls"};
  // Routes say to: {exchange, routing_key} and from: {queue, bind, key_header}.
  kind.words.destination = "exchange";
  kind.words.key = "routing_key";
  kind.words.source = "queue";
  kind.words.groups = false;
  kind.words.bindings = true;
  kind.words.empty_destination = true;
  kind.words.message_variables = {"topic", "key", "exchange", "routing_key", "queue"};
  kind.words.name_problem = [](std::string_view name) -> std::optional<std::string> {
    // AMQP short strings; RabbitMQ reserves the amq. prefix for its own.
    const bool printable = std::all_of(name.begin(), name.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
    if (name.empty() || name.size() > 255 || !printable) {
      return "expected a name of 1 to 255 printable bytes";
    }
    return std::nullopt;
  };
  kind.parse = [](const Mapping& map, const config::Broker&) {
    auto settings = std::make_shared<RabbitSettings>();
    settings->url = parse_url(map.required("url"));
    if (auto options = map.optional("options")) settings->options = parse_options(*options);
    if (auto tls = map.optional("tls")) {
      if (!settings->url.tls) map.fail_at_key("tls", "needs an amqps:// url");
      settings->tls = config::parse_upstream_tls(*tls, settings->url.host);
    } else if (settings->url.tls) {
      settings->tls = config::UpstreamTls{};
      settings->tls->server_name = settings->url.host;
    }
    return std::shared_ptr<const config::BrokerSettings>(std::move(settings));
  };
  return kind;
}

}  // namespace causeway::rabbitmq
