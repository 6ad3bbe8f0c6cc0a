#pragma once
// The metric families the flows update, registered once.

#include <array>
#include <atomic>
#include <chrono>
#include <string>

#include "metrics/registry.h"

namespace causeway::bridge {

struct FlowMetrics {
  explicit FlowMetrics(metrics::Registry& registry);

  metrics::Family<metrics::Counter>& requests;            // causeway_requests_total{route,code}
  metrics::Family<metrics::Histogram>& request_duration;  // causeway_request_duration_seconds{route}
  metrics::Family<metrics::Counter>& produced;            // causeway_produced_total{broker,topic,result}
  metrics::Family<metrics::Histogram>& produce_duration;  // causeway_produce_duration_seconds{broker}
  metrics::Family<metrics::Counter>& reply_timeouts;      // causeway_reply_timeouts_total{route}
  metrics::Counter& replies_orphaned;                     // causeway_replies_orphaned_total
  metrics::Counter& replies_matched;                      // causeway_replies_matched_total
  metrics::Family<metrics::Gauge>& stream_clients;        // causeway_stream_clients{route}
  metrics::Family<metrics::Counter>& stream_events;       // causeway_stream_events_total{route}
  metrics::Family<metrics::Counter>& stream_disconnects;  // causeway_stream_disconnects_total{route,reason}
};

// Requests unmatched by any route are counted under this route label.
inline constexpr std::string_view kUnmatchedRoute = "(unmatched)";

// One route's request counters, looked up once per status code and then kept.
class RouteStats {
 public:
  RouteStats(FlowMetrics& metrics, std::string route);
  void record(int status, std::chrono::steady_clock::duration elapsed);
  const std::string& route() const { return route_; }

 private:
  metrics::Family<metrics::Counter>& requests_;
  metrics::Histogram& duration_;
  std::string route_;
  std::array<std::atomic<metrics::Counter*>, 600> by_status_{};
};

}  // namespace causeway::bridge
