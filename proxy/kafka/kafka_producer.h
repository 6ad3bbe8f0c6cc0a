#pragma once
// One librdkafka producer per broker entry. Delivery reports are served on a thread
// of its own and handed to each message's callback there.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bridge/message_producer.h"
#include "config/config.h"

namespace causeway::kafka {

class KafkaProducer : public bridge::MessageProducer {
 public:
  // Throws KafkaOptionError (kafka_conf.h) for an option librdkafka refuses.
  KafkaProducer(std::string name, std::string bootstrap, const std::vector<config::BrokerOption>& options);
  ~KafkaProducer() override;  // answers whatever is still queued as not stored

  void produce(bridge::OutboundMessage message, OnDelivery on_delivery) override;
  std::optional<std::string> invalid_destination(std::string_view topic) const override;

  // Whether a broker answered a metadata request within the timeout.
  bool reachable(std::chrono::milliseconds timeout);
  // Waits until every queued message is delivered or the timeout passed; returns how many are left.
  std::size_t flush(std::chrono::milliseconds timeout);
  const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Kafka's rule: 1..249 characters of [A-Za-z0-9._-], and not "." or "..".
bool valid_topic_name(std::string_view topic);

}  // namespace causeway::kafka
