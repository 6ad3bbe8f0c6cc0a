#include "kafka/kafka_adapter.h"

#include "config/broker_kinds.h"
#include "kafka/kafka_client.h"

namespace causeway::kafka {

void register_kafka() {
  config::register_broker_kind(kafka_kind());
  bridge::register_broker_factory("kafka", [](const config::Broker& broker, const bridge::BrokerContext&) {
    return std::make_shared<KafkaClient>(broker, *broker.settings_as<KafkaSettings>());
  });
}

}  // namespace causeway::kafka
