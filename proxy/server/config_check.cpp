#include "server/config_check.h"

#include <librdkafka/rdkafka.h>

#include "config/config_loader.h"
#include "kafka/kafka_conf.h"

namespace causeway::server {

namespace {

template <typename Build, typename Settings>
http::LoadedTls built_at_setting(const config::Config& config, const std::string& path, Build build,
                                 const Settings& settings) {
  try {
    return build(settings);
  } catch (const http::TlsFileError& error) {
    throw config::ConfigError(config.file, error.mark(), path + ".tls." + error.setting(), error.what());
  }
}

}  // namespace

http::LoadedTls listener_tls(const config::Config& config, const config::Listener& listener) {
  return built_at_setting(config, "listeners." + listener.name, http::server_tls, *listener.tls);
}

http::LoadedTls upstream_tls(const config::Config& config, const config::Upstream& upstream) {
  return built_at_setting(config, "upstreams." + upstream.name, http::client_tls, *upstream.tls);
}

config::Config load_checked_config(const std::string& file) {
  auto config = config::load_config(file);
  for (const auto& broker : config.brokers) {
    try {
      rd_kafka_conf_destroy(kafka::producer_conf(broker.name, broker.bootstrap, broker.options));
    } catch (const kafka::KafkaOptionError& error) {
      const auto& option = broker.options.at(error.index);
      throw config::ConfigError(config.file, option.mark, "brokers." + broker.name + ".options." + option.name,
                                error.what());
    }
  }
  for (const auto& listener : config.listeners) {
    if (listener.tls) listener_tls(config, listener);
  }
  for (const auto& upstream : config.upstreams) {
    if (upstream.tls) upstream_tls(config, upstream);
  }
  return config;
}

}  // namespace causeway::server
