#pragma once
// The flows' publisher for a RabbitMQ broker: maps a message onto AMQP (header_mapping.h)
// on the caller's thread and hands it to the connection's I/O thread, which writes it
// and answers when the broker confirmed it. Bounded: beyond kMaxPending messages queued
// or waiting for their confirm, queue_full at once.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include "bridge/message_producer.h"
#include "rabbitmq/rabbit_connection.h"

namespace causeway::rabbitmq {

class RabbitPublisher : public bridge::MessageProducer {
 public:
  static constexpr std::size_t kMaxPending = 10000;

  RabbitPublisher(std::shared_ptr<RabbitConnection> connection, config::WireHeaders wire);

  void produce(bridge::OutboundMessage message, OnDelivery on_delivery) override;
  // Waits until nothing is pending or the deadline; how many are left.
  std::size_t flush(std::chrono::steady_clock::time_point deadline);

 private:
  struct Pending {
    std::mutex mutex;
    std::condition_variable drained;
    std::size_t count = 0;
  };

  std::shared_ptr<RabbitConnection> connection_;
  const config::WireHeaders wire_;
  std::shared_ptr<Pending> pending_;
};

}  // namespace causeway::rabbitmq
