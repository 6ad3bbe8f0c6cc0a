#pragma once
// A Kafka broker entry at run time: the embedded broker when asked for, one producer,
// the reply topics' readers of this instance, and the group consumers of its delivery
// routes.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bridge/broker_client.h"
#include "kafka/kafka_settings.h"

namespace causeway::kafka {

class EmbeddedBroker;
class KafkaProducer;
class ReplyConsumer;
class StreamHub;

class KafkaClient : public bridge::BrokerClient {
 public:
  // Throws std::runtime_error naming the broker (e.g. reply_partition: ordinal on a
  // host name without a number, or a producer librdkafka cannot create).
  KafkaClient(const config::Broker& broker, const KafkaSettings& settings);
  ~KafkaClient() override;

  std::shared_ptr<bridge::MessageProducer> publisher() override;
  bridge::ReplyChannel open_replies(const std::string& topic, OnReply on_reply) override;
  std::unique_ptr<bridge::MessageSource> source(const config::Route& route) override;
  std::unique_ptr<bridge::StreamSubscription> subscribe(const bridge::StreamRequest& request,
                                                        std::shared_ptr<bridge::StreamReceiver> receiver) override;
  std::optional<std::string> problem() override;
  std::size_t flush(std::chrono::steady_clock::time_point deadline) override;
  std::string address() const override { return address_; }

 private:
  std::string name_;
  config::WireHeaders wire_;
  KafkaSettings settings_;
  std::unique_ptr<EmbeddedBroker> embedded_;  // declared first: goes after everything talking to it
  std::string address_;
  std::int32_t reply_partition_ = 0;
  std::shared_ptr<KafkaProducer> producer_;
  std::mutex replies_mutex_;
  std::map<std::string, std::unique_ptr<ReplyConsumer>> replies_;  // by topic
  std::mutex streams_mutex_;
  std::map<std::string, std::unique_ptr<StreamHub>> streams_;  // by topic, made for its first client
};

// The options consumers get: the broker's, after the embedded broker's short fetch wait.
std::vector<config::BrokerOption> consumer_options(const KafkaSettings& settings);

// A partition number as the broker's peers expect it: decimal text, or 4 bytes big-endian.
std::string encode_partition(std::int32_t partition, config::WireHeaders::PartitionEncoding encoding);

}  // namespace causeway::kafka
