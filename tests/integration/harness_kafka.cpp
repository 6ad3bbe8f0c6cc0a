// The Kafka side of the harness: reading a topic the way a downstream consumer sees it.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "harness.h"

namespace causeway::testing {

std::optional<std::string> KafkaMessage::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::size_t KafkaMessage::header_count(const std::string& name) const {
  return std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; });
}

// The legacy (simple) consumer API: it reads partitions without a group.id, as kcat does.
struct TopicReader::Handles {
  rd_kafka_t* client = nullptr;
  rd_kafka_topic_t* topic = nullptr;
  rd_kafka_queue_t* queue = nullptr;
};

namespace {

KafkaMessage to_message(const rd_kafka_message_t& raw) {
  KafkaMessage message;
  if (raw.key) message.key = std::string(static_cast<const char*>(raw.key), raw.key_len);
  if (raw.payload) message.value.assign(static_cast<const char*>(raw.payload), raw.len);
  message.partition = raw.partition;
  message.offset = raw.offset;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&raw, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      message.headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : "");
    }
  }
  return message;
}

}  // namespace

TopicReader::TopicReader(std::string bootstrap, std::string topic)
    : topic_(std::move(topic)), handles_(std::make_unique<Handles>()) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("TopicReader: ") + error);
    }
  };
  set("bootstrap.servers", bootstrap);
  set("enable.partition.eof", "true");  // tells when a partition has been read to its end
  set("log_level", "3");
  set("fetch.wait.max.ms", "20");  // an empty partition reports its end without a long poll
  set("topic.metadata.refresh.interval.ms", "500");
  handles_->client = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (!handles_->client) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("TopicReader: ") + error);
  }
  handles_->topic = rd_kafka_topic_new(handles_->client, topic_.c_str(), nullptr);
  handles_->queue = rd_kafka_queue_new(handles_->client);
}

TopicReader::~TopicReader() {
  rd_kafka_queue_destroy(handles_->queue);
  rd_kafka_topic_destroy(handles_->topic);
  rd_kafka_destroy(handles_->client);
}

std::vector<std::int32_t> TopicReader::partitions(Clock::time_point deadline) {
  std::vector<std::int32_t> ids;
  eventually(
      [&] {
        const rd_kafka_metadata_t* metadata = nullptr;
        auto error = rd_kafka_metadata(handles_->client, 0, handles_->topic, &metadata, 1000);
        if (error == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 && !metadata->topics[0].err) {
          for (int i = 0; i < metadata->topics[0].partition_cnt; ++i)
            ids.push_back(metadata->topics[0].partitions[i].id);
        }
        if (metadata) rd_kafka_metadata_destroy(metadata);
        return !ids.empty();
      },
      std::chrono::duration_cast<Duration>(std::max(deadline - Clock::now(), Clock::duration::zero())), 100ms);
  return ids;
}

std::vector<KafkaMessage> TopicReader::read(std::size_t count, Duration timeout) {
  auto deadline = Clock::now() + timeout;
  std::vector<KafkaMessage> messages;
  auto ids = partitions(deadline);
  if (ids.empty()) return messages;  // the topic does not exist (yet)

  for (auto id : ids) rd_kafka_consume_start_queue(handles_->topic, id, RD_KAFKA_OFFSET_BEGINNING, handles_->queue);
  std::set<std::int32_t> not_at_end(ids.begin(), ids.end());
  while (Clock::now() < deadline && (messages.size() < count || !not_at_end.empty())) {
    rd_kafka_message_t* raw = rd_kafka_consume_queue(handles_->queue, 100);
    if (!raw) continue;
    if (raw->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      not_at_end.erase(raw->partition);
    } else if (!raw->err) {
      messages.push_back(to_message(*raw));
      not_at_end.insert(raw->partition);
    }
    rd_kafka_message_destroy(raw);
  }
  for (auto id : ids) rd_kafka_consume_stop(handles_->topic, id);
  return messages;
}

}  // namespace causeway::testing
