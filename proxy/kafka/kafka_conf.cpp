#include "kafka/kafka_conf.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

namespace causeway::kafka {

namespace {

// Chosen for a sidecar in front of an HTTP caller; every one can be overridden in options:.
const std::vector<std::pair<const char*, const char*>> kProducerDefaults = {
    {"enable.idempotence", "true"},         // no duplicates from internal retries; implies acks=all
    {"partitioner", "murmur2_random"},      // same key -> same partition as Java clients
    {"message.timeout.ms", "5000"},         // an unreachable broker becomes a 503 within 5s
    {"reconnect.backoff.max.ms", "1000"},   // notice a broker that came back within a second
    {"queue.buffering.max.kbytes", "131072"},  // at most 128 MiB waiting locally
    {"socket.nagle.disable", "true"},       // latency over packet count
    // Every 202 waits for its batch, so none is held back: what comes while a produce is in
    // flight is batched anyway. Embedded broker, 32 waiting callers: 47k req/s, p99 3.7 ms;
    // 1 ms gave 20k (p99 2.2), librdkafka's 5 ms 5.4k (p99 6.6). bench/RESULTS.md has more.
    {"linger.ms", "0"},
};

const std::vector<std::pair<const char*, const char*>> kReplyConsumerDefaults = {
    {"group.id", "causeway-replies"},        // librdkafka wants one to assign; no group is ever joined
    {"enable.auto.commit", "false"},         // replies are read from the end at every start
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "false"},
    {"fetch.wait.max.ms", "100"},             // Kafka answers a waiting fetch as soon as a reply lands
    {"allow.auto.create.topics", "true"},
    {"reconnect.backoff.max.ms", "1000"},
    {"socket.nagle.disable", "true"},
};

// Options written for producers (linger.ms, acks, ...) make librdkafka warn in a
// consumer; the broker entry has one option list, so those are left out here.
bool producer_only(const std::string& name) {
  for (std::string_view prefix : {"linger.ms", "queue.buffering.", "batch.", "acks", "request.required.acks",
                                  "enable.idempotence", "message.timeout.ms", "delivery.timeout.ms", "partitioner",
                                  "compression.", "retries", "message.send.max.retries", "retry.backoff.ms",
                                  "transactional.id", "transaction.timeout.ms", "sticky.partitioning"}) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

// Consumer properties (librdkafka CONFIGURATION.md, "C") make a producer warn
// (CONFWARN at every start), so a producer is not given them.
bool consumer_only(const std::string& name) {
  for (std::string_view prefix : {"fetch.", "group.", "session.timeout.ms", "heartbeat.interval.ms",
                                  "max.poll.interval.ms", "partition.assignment.strategy", "coordinator.query.interval.ms",
                                  "enable.auto.commit", "auto.commit.", "enable.auto.offset.store", "queued.min.messages",
                                  "queued.max.messages.kbytes", "max.partition.fetch.bytes", "offset.store.",
                                  "isolation.level", "enable.partition.eof", "check.crcs", "auto.offset.reset",
                                  "consume.callback.max.messages"}) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

void set_or_throw(rd_kafka_conf_t* conf, std::size_t index, const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    throw KafkaOptionError(index, error);
  }
}

void log_line(const rd_kafka_t* handle, int level, const char* facility, const char* message) {
  // syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug
  auto spd_level = level <= 3 ? spdlog::level::err
                   : level == 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  spdlog::log(spd_level, "kafka {} {}: {}", rd_kafka_name(handle), facility, message);
}

}  // namespace

rd_kafka_conf_t* producer_conf(const std::string& client_name, const std::string& bootstrap,
                               const std::vector<config::BrokerOption>& options) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(), rd_kafka_conf_destroy);
  for (const auto& [name, value] : kProducerDefaults) set_or_throw(conf.get(), options.size(), name, value);
  set_or_throw(conf.get(), options.size(), "client.id", "causeway-" + client_name);
  if (!bootstrap.empty()) set_or_throw(conf.get(), options.size(), "bootstrap.servers", bootstrap);
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (!consumer_only(options[i].name)) set_or_throw(conf.get(), i, options[i].name, options[i].value);
  }
  forward_logs(conf.get());
  return conf.release();
}

namespace {

using Defaults = std::vector<std::pair<const char*, const char*>>;

const Defaults kGroupConsumerDefaults = {
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "false"},
    {"auto.offset.reset", "earliest"},
    {"fetch.wait.max.ms", "100"},
    {"allow.auto.create.topics", "true"},
    {"reconnect.backoff.max.ms", "1000"},
    {"socket.nagle.disable", "true"},
    // What librdkafka prefetches per partition, all of which a held partition keeps
    // (librdkafka's own defaults are 100000 messages and 64 MiB, per partition).
    {"queued.min.messages", "10000"},
    {"queued.max.messages.kbytes", "8192"},
};

rd_kafka_conf_t* any_consumer_conf(const Defaults& defaults, const std::string& client_name,
                                   const std::string& bootstrap, const std::vector<config::BrokerOption>& options,
                                   const std::string& group = {}) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(), rd_kafka_conf_destroy);
  for (const auto& [name, value] : defaults) set_or_throw(conf.get(), options.size(), name, value);
  if (!group.empty()) set_or_throw(conf.get(), options.size(), "group.id", group);
  set_or_throw(conf.get(), options.size(), "client.id", "causeway-" + client_name);
  if (!bootstrap.empty()) set_or_throw(conf.get(), options.size(), "bootstrap.servers", bootstrap);
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (!producer_only(options[i].name)) set_or_throw(conf.get(), i, options[i].name, options[i].value);
  }
  forward_logs(conf.get());
  return conf.release();
}

}  // namespace

rd_kafka_conf_t* consumer_conf(const std::string& client_name, const std::string& bootstrap,
                               const std::vector<config::BrokerOption>& options) {
  return any_consumer_conf(kReplyConsumerDefaults, client_name, bootstrap, options);
}

rd_kafka_conf_t* group_consumer_conf(const std::string& client_name, const std::string& bootstrap,
                                     const std::string& group, const std::vector<config::BrokerOption>& options) {
  return any_consumer_conf(kGroupConsumerDefaults, client_name, bootstrap, options, group);
}

void forward_logs(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, log_line); }

}  // namespace causeway::kafka
