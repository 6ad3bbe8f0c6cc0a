#pragma once
// A RabbitMQ broker entry's own keys: url, options and, with amqps://, tls.
//
//   rabbit:
//     type: rabbitmq
//     url: amqp://guest:guest@127.0.0.1:5672/%2f
//     options: { heartbeat: 30s, prefetch: 64, queue_type: classic, declare: true,
//                confirm_timeout: 5s, connect_timeout: 2s }
//     tls: { ca: ca.pem, cert: client.pem, key: client.key, verify: true, server_name: rabbit }

#include <cstdint>
#include <optional>

#include "config/broker_settings.h"
#include "config/config.h"
#include "rabbitmq/amqp_url.h"

namespace causeway::rabbitmq {

using namespace std::chrono_literals;

enum class QueueType { classic, quorum };

struct RabbitOptions {
  config::Duration heartbeat = 30s;           // whole seconds, as AMQP negotiates them; 0s turns heartbeats off
  std::uint16_t prefetch = 64;                // unacknowledged deliveries per consumer: the back-pressure
  QueueType queue_type = QueueType::classic;  // for the queues Causeway declares
  bool declare = true;                        // declare missing exchanges and queues
  config::Duration confirm_timeout = 5s;      // publish to basic.ack; maybe_stored after it
  config::Duration connect_timeout = 2s;      // TCP, TLS and the AMQP handshake, each
  bool operator==(const RabbitOptions&) const = default;
};

struct RabbitSettings : config::BrokerSettings {
  AmqpUrl url;
  RabbitOptions options;
  std::optional<config::UpstreamTls> tls;  // set exactly for amqps://, defaults when tls: is left out

  bool operator==(const RabbitSettings& other) const;
  bool equals(const config::BrokerSettings& other) const override;
  boost::json::object describe() const override;
};

// type: rabbitmq. Registered by register_rabbitmq() (rabbit_adapter.h).
config::BrokerKind rabbit_kind();

}  // namespace causeway::rabbitmq
