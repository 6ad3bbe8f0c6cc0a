#pragma once
// Where a delivery flow hands each message: a local service (HTTP or gRPC, through a
// ServiceCaller), or another topic or exchange (a bridge between brokers). Either way
// the result reads as a service's answer would, so retries and dead letters follow
// one rule (delivery_message.h, judge()).

#include <functional>
#include <memory>

#include "bridge/inbound_message.h"
#include "bridge/message_producer.h"
#include "bridge/service_caller.h"
#include "config/config.h"

namespace causeway::bridge {

class DeliveryTarget {
 public:
  virtual ~DeliveryTarget() = default;
  // `done` runs once, on any thread.
  virtual void send(const InboundMessage& message, std::function<void(ServiceResult)> done) = 0;
};

// to: {upstream, ...}: the call delivery_message.h's service_call() makes of a message.
class ServiceTarget : public DeliveryTarget {
 public:
  ServiceTarget(ServiceCaller& service, const config::UpstreamTarget& target) : service_(service), target_(target) {}
  void send(const InboundMessage& message, std::function<void(ServiceResult)> done) override;

 private:
  ServiceCaller& service_;
  const config::UpstreamTarget& target_;
};

// to: {broker, topic | exchange}: the message published on, with its key (or the
// route's), value and headers. Stored is 202; not stored (down, queue full, unknown
// outcome) 503, retried; refused for good 502, too large 413 and unroutable 404, all
// dead-lettered.
class PublishTarget : public DeliveryTarget {
 public:
  PublishTarget(std::shared_ptr<MessageProducer> producer, const config::TopicTarget& target)
      : producer_(std::move(producer)), target_(target) {}
  void send(const InboundMessage& message, std::function<void(ServiceResult)> done) override;

 private:
  std::shared_ptr<MessageProducer> producer_;
  const config::TopicTarget& target_;
};

}  // namespace causeway::bridge
