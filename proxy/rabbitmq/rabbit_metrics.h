#pragma once
// The metrics of one RabbitMQ broker entry, looked up once.

#include <memory>
#include <mutex>
#include <string>

#include "metrics/registry.h"

namespace causeway::rabbitmq {

// causeway_broker_connected{broker}: 1 while every connection of the broker (publishing,
// consuming) is up.
class ConnectedGauge {
 public:
  explicit ConnectedGauge(metrics::Gauge& gauge) : gauge_(gauge) {}
  void add_connection();
  void remove_connection();
  void up();
  void down();

 private:
  void show();  // under the lock
  metrics::Gauge& gauge_;
  std::mutex mutex_;
  int connections_ = 0;
  int up_ = 0;
};

struct RabbitMetrics {
  RabbitMetrics(metrics::Registry& registry, const std::string& broker);

  std::shared_ptr<ConnectedGauge> connected;
  metrics::Counter& reconnects;         // causeway_broker_reconnects_total{broker}
  metrics::Counter& connect_failures;   // causeway_broker_connect_failures_total{broker}
  metrics::Counter& returns;            // causeway_amqp_returns_total{broker}: basic.return (unroutable)
  metrics::Counter& unmatched_returns;  // causeway_amqp_unmatched_returns_total{broker}
  metrics::Counter& confirm_timeouts;   // causeway_amqp_confirm_timeouts_total{broker}
  metrics::Counter& channel_errors;     // causeway_amqp_channel_errors_total{broker}
  metrics::Counter& stale_acks;         // causeway_amqp_stale_acks_total{broker}: acks for a lost channel, dropped
  metrics::Counter& requeued_replies;   // causeway_amqp_replies_requeued_total{broker}: for another replica
  metrics::Counter& dropped_replies;    // causeway_amqp_replies_dropped_total{broker}: nobody waited
  metrics::Counter& blocked;            // causeway_amqp_blocked_total{broker}: connection.blocked received
  metrics::Counter& stalls;             // causeway_amqp_stalls_total{broker}: a write that could not finish, cut
  metrics::Histogram& confirm_latency;  // causeway_amqp_confirm_seconds{broker}: written to basic.ack
};

}  // namespace causeway::rabbitmq
