#pragma once
// A Kafka broker entry's own keys: bootstrap (or the embedded broker), librdkafka
// options, and which partition of its reply topics this instance reads.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "config/broker_settings.h"
#include "config/config.h"

namespace causeway::kafka {

// Which partition of its reply topics this instance reads: a number, or "ordinal": the
// number ending the host name (causeway-2 -> 2), as StatefulSet pods are named.
struct ReplyPartition {
  bool ordinal = false;
  std::int32_t partition = 0;
  bool operator==(const ReplyPartition&) const = default;
};

struct KafkaSettings : config::BrokerSettings {
  bool embedded = false;  // bootstrap: embedded
  std::uint16_t embedded_port = 0;  // embedded: { port }; 0: the port the mock picks
  std::string bootstrap;  // "k1:9092,k2:9092"; empty when embedded
  std::vector<config::BrokerOption> options;
  ReplyPartition reply_partition;

  bool operator==(const KafkaSettings& other) const {
    return embedded == other.embedded && embedded_port == other.embedded_port && bootstrap == other.bootstrap &&
           options == other.options &&
           reply_partition == other.reply_partition;
  }
  bool equals(const config::BrokerSettings& other) const override;
  boost::json::object describe() const override;
};

// The partition this instance reads on this host, or why there is none (ordinal on a
// host name without a number).
std::variant<std::int32_t, std::string> reply_partition_here(const ReplyPartition& setting);

// type: kafka. Registered by register_kafka() (kafka_adapter.h).
config::BrokerKind kafka_kind();

}  // namespace causeway::kafka
