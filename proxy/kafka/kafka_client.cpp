#include "kafka/kafka_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "kafka/embedded_broker.h"
#include "kafka/group_consumer.h"
#include "kafka/kafka_producer.h"
#include "kafka/reply_consumer.h"
#include "kafka/stream_hub.h"

namespace causeway::kafka {

using namespace std::chrono_literals;

// A stream route may name its topic by a path variable; each topic read costs a
// consumer, so the topics one broker streams are bounded.
constexpr std::size_t kMaxStreamedTopics = 64;

// Defaults for consumers of the embedded broker, where librdkafka's mock cluster differs
// from Kafka; a user's own options win.
// - The mock holds a fetch for its whole wait even when data arrives: a short wait keeps
//   replies and deliveries fast.
// - It rebalances a group only once a departed member's session has run out, even after
//   the member left: a short session lets the delivery a reload replaced hand over in
//   seconds instead of librdkafka's default 45 s.
std::vector<config::BrokerOption> consumer_options(const KafkaSettings& settings) {
  std::vector<config::BrokerOption> options;
  auto user_set = [&](std::string_view name) {
    return std::any_of(settings.options.begin(), settings.options.end(),
                       [&](const config::BrokerOption& option) { return option.name == name; });
  };
  if (settings.embedded) {
    if (!user_set("fetch.wait.max.ms")) options.push_back({"fetch.wait.max.ms", "5", {}});
    if (!user_set("session.timeout.ms")) options.push_back({"session.timeout.ms", "6000", {}});
    if (!user_set("heartbeat.interval.ms")) options.push_back({"heartbeat.interval.ms", "1000", {}});
  }
  options.insert(options.end(), settings.options.begin(), settings.options.end());
  return options;
}

std::string encode_partition(std::int32_t partition, config::WireHeaders::PartitionEncoding encoding) {
  if (encoding == config::WireHeaders::PartitionEncoding::decimal) return std::to_string(partition);
  auto bits = static_cast<std::uint32_t>(partition);
  return std::string{static_cast<char>(bits >> 24), static_cast<char>(bits >> 16), static_cast<char>(bits >> 8),
                     static_cast<char>(bits)};
}

KafkaClient::KafkaClient(const config::Broker& broker, const KafkaSettings& settings)
    : name_(broker.name), wire_(broker.headers), settings_(settings), address_(settings.bootstrap) {
  auto partition = reply_partition_here(settings.reply_partition);
  if (auto* problem = std::get_if<std::string>(&partition)) throw std::runtime_error("broker '" + name_ + "': " + *problem);
  reply_partition_ = std::get<std::int32_t>(partition);
  if (settings.embedded) {
    embedded_ = std::make_unique<EmbeddedBroker>(settings.embedded_port);
    address_ = embedded_->bootstrap();
    spdlog::warn(
        "broker '{}': embedded Kafka broker listening on {} (in memory, for trying Causeway out: it keeps "
        "nothing across restarts; read it with kcat -b {} -t TOPIC -C)",
        name_, address_, address_);
  }
  producer_ = std::make_shared<KafkaProducer>(name_, address_, settings.options);
}

KafkaClient::~KafkaClient() {
  {
    std::lock_guard lock(streams_mutex_);
    streams_.clear();
  }
  {
    std::lock_guard lock(replies_mutex_);
    replies_.clear();
  }
  producer_.reset();  // before the embedded broker it talks to
}

std::shared_ptr<bridge::MessageProducer> KafkaClient::publisher() { return producer_; }

bridge::ReplyChannel KafkaClient::open_replies(const std::string& topic, OnReply on_reply) {
  bridge::ReplyChannel channel{topic, {{wire_.reply_partition, encode_partition(reply_partition_,
                                                                                 wire_.reply_partition_encoding)}}};
  std::lock_guard lock(replies_mutex_);
  if (replies_.contains(topic)) return channel;  // a reload keeps reading where it was
  auto consumer = std::make_unique<ReplyConsumer>(
      name_, address_, consumer_options(settings_), topic, reply_partition_,
      [on_reply = std::move(on_reply)](bridge::InboundMessage message) { on_reply(std::move(message)); });
  // Positioned before anything is served, so no reply to the first request is missed;
  // a broker that does not answer at once is waited for in the background.
  consumer->start(3s);
  replies_[topic] = std::move(consumer);
  return channel;
}

std::unique_ptr<bridge::MessageSource> KafkaClient::source(const config::Route& route) {
  return std::make_unique<GroupConsumer>(route.name, name_, address_, consumer_options(settings_),
                                         *route.topic_source());
}

std::unique_ptr<bridge::StreamSubscription> KafkaClient::subscribe(const bridge::StreamRequest& request,
                                                                   std::shared_ptr<bridge::StreamReceiver> receiver) {
  StreamHub* hub = nullptr;
  {
    std::lock_guard lock(streams_mutex_);
    auto& slot = streams_[request.destination];
    if (!slot) {
      if (streams_.size() > kMaxStreamedTopics) {
        streams_.erase(request.destination);
        throw std::runtime_error("broker '" + name_ + "' streams " + std::to_string(kMaxStreamedTopics) +
                                 " topics already");
      }
      slot = std::make_unique<StreamHub>(name_, address_, consumer_options(settings_), request.destination);
    }
    hub = slot.get();
  }
  return hub->subscribe(request, std::move(receiver));
}

std::optional<std::string> KafkaClient::problem() {
  if (!producer_->reachable(500ms)) return "broker '" + name_ + "' is unreachable";
  std::lock_guard lock(replies_mutex_);
  for (const auto& [topic, consumer] : replies_) {
    if (auto problem = consumer->problem()) return problem;
  }
  return std::nullopt;
}

std::size_t KafkaClient::flush(std::chrono::steady_clock::time_point deadline) {
  auto left = std::max<std::chrono::steady_clock::duration>(deadline - std::chrono::steady_clock::now(), 1s);
  return producer_->flush(std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

}  // namespace causeway::kafka
