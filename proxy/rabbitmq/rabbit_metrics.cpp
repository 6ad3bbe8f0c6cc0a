#include "rabbitmq/rabbit_metrics.h"

namespace causeway::rabbitmq {

void ConnectedGauge::add_connection() {
  std::lock_guard lock(mutex_);
  ++connections_;
  show();
}

void ConnectedGauge::remove_connection() {
  std::lock_guard lock(mutex_);
  --connections_;
  show();
}

void ConnectedGauge::up() {
  std::lock_guard lock(mutex_);
  ++up_;
  show();
}

void ConnectedGauge::down() {
  std::lock_guard lock(mutex_);
  --up_;
  show();
}

void ConnectedGauge::show() { gauge_.set(connections_ > 0 && up_ == connections_ ? 1 : 0); }

RabbitMetrics::RabbitMetrics(metrics::Registry& registry, const std::string& broker)
    : connected(std::make_shared<ConnectedGauge>(
          registry.gauge("causeway_broker_connected", "1 while the broker is connected", {"broker"}).with({broker}))),
      reconnects(
          registry
              .counter("causeway_broker_reconnects_total", "Connections re-established after one was lost", {"broker"})
              .with({broker})),
      connect_failures(registry
                           .counter("causeway_broker_connect_failures_total",
                                    "Attempts to connect to the broker that failed", {"broker"})
                           .with({broker})),
      returns(registry
                  .counter("causeway_amqp_returns_total", "Messages the broker returned as unroutable (basic.return)",
                           {"broker"})
                  .with({broker})),
      unmatched_returns(registry
                            .counter("causeway_amqp_unmatched_returns_total",
                                     "basic.return for no message still waiting for its confirm", {"broker"})
                            .with({broker})),
      confirm_timeouts(registry
                           .counter("causeway_amqp_confirm_timeouts_total",
                                    "Messages sent but not confirmed within confirm_timeout", {"broker"})
                           .with({broker})),
      channel_errors(
          registry.counter("causeway_amqp_channel_errors_total", "Channels the broker closed on an error", {"broker"})
              .with({broker})),
      stale_acks(registry
                     .counter("causeway_amqp_stale_acks_total",
                              "Acknowledgements for deliveries of a channel since lost, not sent", {"broker"})
                     .with({broker})),
      requeued_replies(registry
                           .counter("causeway_amqp_replies_requeued_total",
                                    "Replies on a shared queue nobody here waited for, given back once", {"broker"})
                           .with({broker})),
      dropped_replies(
          registry.counter("causeway_amqp_replies_dropped_total", "Replies nobody waited for, dropped", {"broker"})
              .with({broker})),
      blocked(registry
                  .counter("causeway_amqp_blocked_total",
                           "Times the broker blocked publishing (connection.blocked: an alarm)", {"broker"})
                  .with({broker})),
      stalls(registry
                 .counter("causeway_amqp_stalls_total",
                          "Connections given up because a write to the broker could not finish", {"broker"})
                 .with({broker})),
      confirm_latency(registry
                          .histogram("causeway_amqp_confirm_seconds",
                                     "Publish written to the broker's confirm, seconds", {"broker"},
                                     metrics::latency_buckets())
                          .with({broker})) {}

}  // namespace causeway::rabbitmq
