#pragma once
// The Kafka part of a broker entry, as the tests read it.

#include "kafka/kafka_settings.h"

namespace causeway::config {

inline const kafka::KafkaSettings& kafka_of(const Broker& broker) { return *broker.settings_as<kafka::KafkaSettings>(); }

}  // namespace causeway::config
