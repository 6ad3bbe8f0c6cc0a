#include "kafka/kafka_settings.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "config/config_node.h"
#include "config/units.h"
#include "kafka/kafka_conf.h"
#include "kafka/reply_consumer.h"

#include <unistd.h>

#include <librdkafka/rdkafka.h>

namespace causeway::kafka {
namespace {

using config::ConfigNode;
using config::MapEntry;

// "embedded", or "host:port[,host:port...]" stored normalized as librdkafka takes it.
void parse_bootstrap(const ConfigNode& node, KafkaSettings& settings) {
  const std::string text = node.string();
  if (text == "embedded") {
    settings.embedded = true;
    return;
  }
  std::string servers;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string_view server = std::string_view(text).substr(start, end - start);
    while (server.starts_with(' ')) server.remove_prefix(1);
    while (server.ends_with(' ')) server.remove_suffix(1);
    const std::optional<config::Endpoint> endpoint = config::parse_endpoint(server);
    if (!endpoint || endpoint->port == 0) node.fail("expected 'embedded' or host:port[,host:port...]");
    servers += (servers.empty() ? "" : ",") + endpoint->text();
    start = end + 1;
  }
  settings.bootstrap = servers;
}

std::vector<config::BrokerOption> parse_options(const ConfigNode& node) {
  std::vector<config::BrokerOption> options;
  for (const MapEntry& entry : node.entries()) {
    if (entry.key == "bootstrap.servers") entry.key_node.fail("set by 'bootstrap', not by an option");
    options.push_back(config::BrokerOption{entry.key, entry.value.string(), entry.key_node.mark()});
  }
  return options;
}

ReplyPartition parse_reply_partition(const ConfigNode& node) {
  ReplyPartition partition;
  if (node.yaml().IsScalar() && node.scalar() == "ordinal") {
    partition.ordinal = true;
    return partition;
  }
  if (!node.yaml().IsScalar() || node.scalar().find_first_not_of("0123456789") != std::string::npos) {
    node.fail("expected a partition number or 'ordinal'");
  }
  partition.partition = static_cast<std::int32_t>(node.integer(0, 1'000'000));
  return partition;
}

}  // namespace

bool KafkaSettings::equals(const config::BrokerSettings& other) const {
  const auto* kafka = dynamic_cast<const KafkaSettings*>(&other);
  return kafka && *this == *kafka;
}

// librdkafka takes credentials as options: sasl.password, ssl.key.password, ...
bool is_secret_option(std::string_view name) {
  for (std::string_view secret : {"password", "secret", "token", "credential", "key.pem", "oauthbearer.config",
                                  "jaas"}) {
    if (name.find(secret) != std::string_view::npos) return true;
  }
  return false;
}

boost::json::object KafkaSettings::describe() const {
  boost::json::object shown_options;
  for (const auto& option : options) {
    shown_options[option.name] = is_secret_option(option.name) ? "<redacted>" : option.value;
  }
  boost::json::object out{{"bootstrap", embedded ? "embedded" : bootstrap}, {"options", std::move(shown_options)}};
  if (reply_partition.ordinal || reply_partition.partition != 0) {
    out["reply_partition"] = reply_partition.ordinal ? boost::json::value("ordinal")
                                                     : boost::json::value(reply_partition.partition);
  }
  if (embedded && embedded_port != 0) out["embedded"] = boost::json::object{{"port", embedded_port}};
  if (embedded) out["note"] = "in-process broker for trying Causeway out: it keeps nothing across restarts";
  return out;
}

std::variant<std::int32_t, std::string> reply_partition_here(const ReplyPartition& setting) {
  if (!setting.ordinal) return setting.partition;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  if (auto ordinal = host_ordinal(host)) return *ordinal;
  return std::string("reply_partition is 'ordinal' but this host's name '") + host + "' does not end in a number";
}

config::BrokerKind kafka_kind() {
  config::BrokerKind kind;
  kind.type = "kafka";
  kind.keys = {"bootstrap", "embedded", "options", "reply_partition"};
  kind.words.name_problem = [](std::string_view name) -> std::optional<std::string> {
    if (config::is_name(name) && name.size() <= 249) return std::nullopt;
    return "expected a topic name of letters, digits, '.', '_', '-' (at most 249)";
  };
  kind.parse = [](const config::Mapping& map, const config::Broker&) {
    auto settings = std::make_shared<KafkaSettings>();
    parse_bootstrap(map.required("bootstrap"), *settings);
    if (auto embedded = map.optional("embedded")) {
      if (!settings->embedded) map.fail_at_key("embedded", "only goes with 'bootstrap: embedded'");
      const config::Mapping fixed(*embedded, {"port"});
      settings->embedded_port = static_cast<std::uint16_t>(fixed.required("port").integer(1, 65535));
    }
    if (auto options = map.optional("options")) {
      settings->options = parse_options(*options);
      // librdkafka says now, at the option, what it would refuse when the client starts.
      try {
        rd_kafka_conf_destroy(producer_conf("check", settings->bootstrap, settings->options));
        rd_kafka_conf_destroy(group_consumer_conf("check", settings->bootstrap, "check", settings->options));
      } catch (const KafkaOptionError& error) {
        options->entries().at(error.index).key_node.fail(error.what());
      }
    }
    if (auto partition = map.optional("reply_partition")) settings->reply_partition = parse_reply_partition(*partition);
    return std::shared_ptr<const config::BrokerSettings>(std::move(settings));
  };
  kind.host_check = [](const config::Broker& broker) -> std::optional<std::string> {
    const auto* settings = broker.settings_as<KafkaSettings>();
    if (!settings) return std::nullopt;
    auto partition = reply_partition_here(settings->reply_partition);
    if (auto* problem = std::get_if<std::string>(&partition)) return *problem;
    return std::nullopt;
  };
  return kind;
}

}  // namespace causeway::kafka
