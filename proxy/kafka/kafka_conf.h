#pragma once
// Building librdkafka configurations: our defaults, then the user's options as they are.

#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"

struct rd_kafka_conf_s;

namespace causeway::kafka {

// An option librdkafka refused; index points into the options given.
struct KafkaOptionError : std::runtime_error {
  KafkaOptionError(std::size_t index, const std::string& message) : std::runtime_error(message), index(index) {}
  std::size_t index;
};

// A producer configuration: idempotent (acks=all), Java-compatible key partitioning,
// a bounded local queue and a message timeout short enough for an HTTP caller, then
// the broker's options on top. Throws KafkaOptionError; the caller owns the result.
rd_kafka_conf_s* producer_conf(const std::string& client_name, const std::string& bootstrap,
                               const std::vector<config::BrokerOption>& options);

// A consumer configuration for reading replies: no group, no commits, short fetch
// waits for latency, topics auto-created where the broker allows it (the embedded one does).
rd_kafka_conf_s* consumer_conf(const std::string& client_name, const std::string& bootstrap,
                               const std::vector<config::BrokerOption>& options);

// A consumer group member's configuration: no automatic commits or offset stores
// (the delivery flow decides what is handled), new groups start at the earliest
// offset so nothing produced before the first start is skipped; options on top.
rd_kafka_conf_s* group_consumer_conf(const std::string& client_name, const std::string& bootstrap,
                                     const std::string& group, const std::vector<config::BrokerOption>& options);

// Sends librdkafka's log lines through spdlog instead of its own stderr format.
void forward_logs(rd_kafka_conf_s* conf);

}  // namespace causeway::kafka
