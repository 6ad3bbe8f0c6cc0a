#include "kafka/reply_consumer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "kafka/kafka_conf.h"
#include "kafka/kafka_message.h"

namespace causeway::kafka {

struct ReplyConsumer::Impl {
  std::string broker;
  std::string topic;
  std::int32_t partition;
  OnMessage on_message;
  rd_kafka_t* handle = nullptr;
  std::atomic<bool> running{false};
  std::atomic<bool> positioned{false};
  std::mutex problem_mutex;
  std::string problem;  // why replies are not read yet, while not positioned
  std::thread reader;

  enum class Outcome { positioned, retry, refused };

  // Positions the partition at its end as of now. `refused`: the broker answered and the
  // topic cannot serve this instance (too few partitions): a config error, not an outage.
  Outcome position(std::chrono::milliseconds timeout, std::string& why) {
    const int timeout_ms = static_cast<int>(timeout.count());
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(handle, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    auto error = rd_kafka_metadata(handle, 0, rkt, &metadata, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      why = std::string("no metadata: ") + rd_kafka_err2str(error);
      return Outcome::retry;
    }
    int partitions = 0;
    rd_kafka_resp_err_t topic_error = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (metadata->topic_cnt == 1) {
      partitions = metadata->topics[0].partition_cnt;
      topic_error = metadata->topics[0].err;
    }
    rd_kafka_metadata_destroy(metadata);
    if (topic_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      why = rd_kafka_err2str(topic_error);
      return Outcome::retry;
    }
    if (partition >= partitions) {
      why = "has " + std::to_string(partitions) + " partition(s); this instance's reply_partition is " +
            std::to_string(partition);
      return Outcome::refused;
    }
    // The end as of now, asked explicitly: "end" resolved later could skip an early reply.
    int64_t low = 0, high = 0;
    error = rd_kafka_query_watermark_offsets(handle, topic.c_str(), partition, &low, &high, timeout_ms);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      why = std::string("no end offset: ") + rd_kafka_err2str(error);
      return Outcome::retry;
    }
    rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset = high;
    error = rd_kafka_assign(handle, assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      why = std::string("cannot assign: ") + rd_kafka_err2str(error);
      return Outcome::retry;
    }
    spdlog::info("broker '{}': reading replies from {} partition {} from offset {}", broker, topic, partition, high);
    positioned.store(true);
    return Outcome::positioned;
  }

  // While the broker cannot be reached: tries again every second, then reads.
  void position_then_read() {
    using namespace std::chrono_literals;
    while (running.load() && !positioned.load()) {
      std::string why;
      if (position(2s, why) == Outcome::positioned) break;
      {
        std::lock_guard lock(problem_mutex);
        problem = why;
      }
      for (int i = 0; i < 10 && running.load(); ++i) std::this_thread::sleep_for(100ms);
    }
    read();
  }

  void read() {
    while (running.load(std::memory_order_relaxed)) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(handle, 100);
      if (!message) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        on_message(to_inbound(*message));
      } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        spdlog::warn("broker '{}': reading replies from {} [{}]: {}", broker, topic, partition,
                     rd_kafka_message_errstr(message));
      }
      rd_kafka_message_destroy(message);
    }
  }
};

ReplyConsumer::ReplyConsumer(std::string broker, std::string bootstrap,
                             const std::vector<config::BrokerOption>& options, std::string topic,
                             std::int32_t partition, OnMessage on_message)
    : impl_(std::make_unique<Impl>()) {
  impl_->broker = std::move(broker);
  impl_->topic = std::move(topic);
  impl_->partition = partition;
  impl_->on_message = std::move(on_message);
  rd_kafka_conf_t* conf = consumer_conf(impl_->broker + "-replies", bootstrap, options);
  char error[512];
  impl_->handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (!impl_->handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error("broker '" + impl_->broker + "': cannot create the reply consumer: " + error);
  }
}

ReplyConsumer::~ReplyConsumer() {
  impl_->running.store(false);
  if (impl_->reader.joinable()) impl_->reader.join();
  rd_kafka_consumer_close(impl_->handle);
  rd_kafka_destroy(impl_->handle);
}

void ReplyConsumer::start(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  std::string why;
  const auto outcome = s.position(timeout, why);
  if (outcome == Impl::Outcome::refused) {
    throw std::runtime_error("broker '" + s.broker + "': reply topic " + s.topic + ": " + why);
  }
  s.running.store(true);
  if (outcome == Impl::Outcome::positioned) {
    s.reader = std::thread([&s] { s.read(); });
    return;
  }
  spdlog::warn("broker '{}': reply topic {}: {}; requests of its routes wait until it can be read", s.broker, s.topic,
               why);
  {
    std::lock_guard lock(s.problem_mutex);
    s.problem = why;
  }
  s.reader = std::thread([&s] { s.position_then_read(); });
}

std::optional<std::string> ReplyConsumer::problem() const {
  if (impl_->positioned.load()) return std::nullopt;
  std::lock_guard lock(impl_->problem_mutex);
  return "broker '" + impl_->broker + "': reply topic " + impl_->topic + " is not read yet: " + impl_->problem;
}

const std::string& ReplyConsumer::topic() const { return impl_->topic; }

std::int32_t ReplyConsumer::partition() const { return impl_->partition; }

std::optional<std::int32_t> host_ordinal(std::string_view host_name) {
  auto digits = host_name.find_last_not_of("0123456789");
  std::string_view number = digits == std::string_view::npos ? host_name : host_name.substr(digits + 1);
  std::int32_t ordinal = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), ordinal);
  if (number.empty() || error != std::errc{}) return std::nullopt;
  return ordinal;
}

}  // namespace causeway::kafka
