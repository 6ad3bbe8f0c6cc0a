#pragma once
// A message read from a broker, as the flows see it whatever the broker. The adapter
// fills in where it came from in its own words (`origin`), so that the flows can pass
// it on to a service and into a dead letter without knowing partitions or exchanges.

#include <cstdint>
#include <optional>
#include <string>

#include "bridge/exchange.h"

namespace causeway::bridge {

struct InboundMessage {
  std::string topic;                 // Kafka: the topic; RabbitMQ: the queue it was read from
  std::int32_t partition = -1;       // Kafka only
  std::int64_t offset = -1;          // Kafka only
  std::optional<std::string> key;    // Kafka: the message key; RabbitMQ: the routing key
  std::string value;
  Headers headers;  // as sent, with the broker's own properties under the wire header names; values may be binary
  // Where it came from, as the broker names it: Kafka {topic, partition, offset},
  // RabbitMQ {exchange, routing-key, queue}. A service sees them as `origin_prefix` +
  // name ("x-kafka-offset"), a dead letter as "dlt-original-" + name.
  Headers origin;
  std::string origin_prefix;  // "x-kafka-", "x-amqp-"
  std::string position;       // resumable position: "orders.created/0/42" on Kafka
};

}  // namespace causeway::bridge
