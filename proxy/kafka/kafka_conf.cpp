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
};

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
  for (std::size_t i = 0; i < options.size(); ++i) set_or_throw(conf.get(), i, options[i].name, options[i].value);
  forward_logs(conf.get());
  return conf.release();
}

void forward_logs(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, log_line); }

}  // namespace causeway::kafka
