#include "server/config_check.h"

#include <librdkafka/rdkafka.h>

#include "config/config_loader.h"
#include "kafka/kafka_conf.h"

namespace causeway::server {

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
  return config;
}

}  // namespace causeway::server
