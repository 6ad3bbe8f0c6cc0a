// The delivery side of the harness: its config, a raw producer, metric polling.
#include "harness_delivery.h"

#include <librdkafka/rdkafka.h>

#include <regex>
#include <sstream>
#include <stdexcept>

namespace causeway::testing {

namespace {

std::string optional_line(const std::string& indent, const std::string& key, const std::string& value) {
  return value.empty() ? std::string() : indent + key + ": " + value + "\n";
}

}  // namespace

std::string DeliveryConfig::yaml() const {
  std::ostringstream text;
  text << "admin: { listen: 127.0.0.1:0 }\n"
       << "drain_timeout: " << drain_timeout << "\n";
  if (event_route) text << "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n";
  text << "brokers:\n"
       << "  events:\n"
       << "    bootstrap: " << bootstrap << "\n"
       << "    options: " << broker_options << "\n"
       << "upstreams:\n"
       << "  orders: { url: \"" << service_url << "\", timeout: " << upstream_timeout << " }\n"
       << "routes:\n";
  if (event_route) {
    text << "  - name: order-created\n"
         << "    from: { listener: public, method: POST, path: \"/orders/{customer}/events\" }\n"
         << "    to: { broker: events, topic: " << topic << ", key: \"{customer}\" }\n";
  }
  text << "  - name: " << kDeliveryRoute << "\n"
       << "    from: { broker: events, topic: " << topic << ", group: " << group << " }\n"
       << "    to: { upstream: orders, method: " << method << ", path: \"" << path << "\""
       << (route_timeout.empty() ? "" : ", timeout: " + route_timeout) << " }\n"
       << optional_line("    ", "retry", retry) << optional_line("    ", "dead_letter", dead_letter)
       << optional_line("    ", "concurrency", concurrency) << optional_line("    ", "max_buffered", max_buffered);
  return text.str();
}

TopicWriter::TopicWriter(const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // murmur2_random places a key where Causeway's producer and Java clients would.
  for (auto [name, value] : {std::pair{"bootstrap.servers", bootstrap.c_str()},
                             {"linger.ms", "2"},
                             {"partitioner", "murmur2_random"},
                             {"enable.idempotence", "true"},
                             {"log_level", "3"}}) {
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("TopicWriter: ") + error);
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &TopicWriter::on_report);
  rd_kafka_conf_set_opaque(conf, this);
  handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!handle_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("TopicWriter: ") + error);
  }
}

TopicWriter::~TopicWriter() {
  rd_kafka_flush(handle_, 5000);
  rd_kafka_destroy(handle_);
}

// Reports are served by rd_kafka_poll and rd_kafka_flush, on the test's own thread.
void TopicWriter::on_report(rd_kafka_s*, const rd_kafka_message_s* message, void* opaque) {
  auto& self = *static_cast<TopicWriter*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self.acknowledged_;
  } else if (self.first_error_.empty()) {
    self.first_error_ = rd_kafka_err2str(message->err);
  }
}

void TopicWriter::send(const std::string& topic, const std::optional<std::string>& key, const std::string& value,
                       const Headers& headers, std::int32_t partition) {
  rd_kafka_headers_t* list = rd_kafka_headers_new(headers.size());
  for (const auto& [name, text] : headers) {
    rd_kafka_header_add(list, name.data(), static_cast<ssize_t>(name.size()), text.data(),
                        static_cast<ssize_t>(text.size()));
  }
  // The macros below cast their arguments unparenthesized: plain variables only.
  void* key_bytes = key ? const_cast<char*>(key->data()) : nullptr;
  const std::size_t key_size = key ? key->size() : 0;
  const std::int32_t target = partition < 0 ? RD_KAFKA_PARTITION_UA : partition;
  auto error = rd_kafka_producev(
      handle_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(target), RD_KAFKA_V_KEY(key_bytes, key_size),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADERS(list), RD_KAFKA_V_END);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(list);  // producev owns them only on success
    throw std::runtime_error("TopicWriter: cannot produce to " + topic + ": " + rd_kafka_err2str(error));
  }
  ++sent_;
  rd_kafka_poll(handle_, 0);
}

void TopicWriter::flush(Duration timeout) {
  rd_kafka_flush(handle_, static_cast<int>(timeout.count()));
  if (!first_error_.empty() || acknowledged_ != sent_) {
    throw std::runtime_error("TopicWriter: " + std::to_string(sent_ - acknowledged_) + " of " + std::to_string(sent_) +
                             " messages not acknowledged" + (first_error_.empty() ? "" : ": " + first_error_));
  }
}

bool wait_assigned(const CausewayProcess& causeway, Duration timeout) {
  const std::regex assigned(std::string("route '") + kDeliveryRoute + "': assigned [1-9]");
  return eventually([&] { return std::regex_search(causeway.log(), assigned); }, timeout, 50ms);
}

double metric_now(const Address& admin, const std::string& name, const MetricsPage::Labels& labels) {
  return scrape_metrics(admin).value(name, labels).value_or(0);
}

double metric_until(const Address& admin, const std::string& name, const MetricsPage::Labels& labels,
                    const std::function<bool(double)>& holds, Duration timeout) {
  double value = 0;
  eventually([&] { return holds(value = metric_now(admin, name, labels)); }, timeout, 50ms);
  return value;
}

std::optional<double> delivery_lag(const Address& admin) {
  return scrape_metrics(admin).value("causeway_consumer_lag", {{"route", kDeliveryRoute}});
}

std::vector<PartitionProgress> group_progress(const std::string& bootstrap, const std::string& group,
                                              const std::string& topic, int partitions) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (auto [name, value] : {std::pair{"bootstrap.servers", bootstrap.c_str()},
                             {"group.id", group.c_str()},
                             {"enable.auto.commit", "false"},
                             {"log_level", "3"}}) {
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("group_progress: ") + error);
    }
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("group_progress: ") + error);
  }
  std::vector<PartitionProgress> progress(static_cast<std::size_t>(partitions));
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  }
  // An OffsetFetch to the coordinator: it reads what was committed without joining the group.
  if (rd_kafka_committed(handle, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      const auto& partition = list->elems[i];
      if (partition.err == RD_KAFKA_RESP_ERR_NO_ERROR && partition.offset >= 0) {
        progress[static_cast<std::size_t>(partition.partition)].committed = partition.offset;
      }
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  for (int partition = 0; partition < partitions; ++partition) {
    std::int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(handle, topic.c_str(), partition, &low, &high, 5000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      progress[static_cast<std::size_t>(partition)].end = high;
    }
  }
  rd_kafka_destroy(handle);
  return progress;
}

double resident_bytes(const Address& admin) { return metric_now(admin, "process_resident_memory_bytes"); }

}  // namespace causeway::testing
