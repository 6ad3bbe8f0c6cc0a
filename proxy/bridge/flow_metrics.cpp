#include "bridge/flow_metrics.h"

namespace causeway::bridge {

FlowMetrics::FlowMetrics(metrics::Registry& registry)
    : requests(registry.counter("causeway_requests_total", "Requests answered, by route and HTTP status",
                                {"route", "code"})),
      request_duration(registry.histogram("causeway_request_duration_seconds",
                                          "Time from a request read whole to its answer", {"route"},
                                          metrics::latency_buckets())),
      produced(registry.counter("causeway_produced_total", "Messages produced, by outcome of the delivery",
                                {"broker", "topic", "result"})),
      produce_duration(registry.histogram("causeway_produce_duration_seconds",
                                          "Time from handing a message to the producer to its delivery report",
                                          {"broker"}, metrics::latency_buckets())),
      reply_timeouts(registry.counter("causeway_reply_timeouts_total",
                                      "Requests answered 504 because no reply came before the route's timeout",
                                      {"route"})),
      replies_orphaned(registry
                           .counter("causeway_replies_orphaned_total",
                                    "Replies nobody waited for (late, duplicate, unknown id, no correlation id)")
                           .with({})),
      replies_matched(
          registry.counter("causeway_replies_matched_total", "Replies that answered a waiting request").with({})),
      stream_clients(registry.gauge("causeway_stream_clients", "Clients of stream routes connected now", {"route"})),
      stream_events(registry.counter("causeway_stream_events_total", "Events handed to stream clients", {"route"})),
      stream_disconnects(registry.counter("causeway_stream_disconnects_total",
                                          "Stream clients gone, by why: client_closed, slow_reader, draining, broker",
                                          {"route", "reason"})) {}

RouteStats::RouteStats(FlowMetrics& metrics, std::string route)
    : requests_(metrics.requests), duration_(metrics.request_duration.with({route})), route_(std::move(route)) {}

void RouteStats::record(int status, std::chrono::steady_clock::duration elapsed) {
  duration_.observe(std::chrono::duration<double>(elapsed).count());
  if (status < 100 || status >= static_cast<int>(by_status_.size())) status = 500;
  auto* counter = by_status_[status].load(std::memory_order_acquire);
  if (!counter) {
    // Racing threads get the same child from the family; storing it twice is harmless.
    counter = &requests_.with({route_, std::to_string(status)});
    by_status_[status].store(counter, std::memory_order_release);
  }
  counter->inc();
}

}  // namespace causeway::bridge
