#include "admin/dashboard_view.h"

#include <cmath>
#include <map>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace causeway::admin {

namespace json = boost::json;

namespace {

struct RouteCounts {
  double requests = 0;
  double errors = 0;
  std::vector<std::pair<double, double>> buckets;  // upper bound (+Inf last), cumulative count
  json::array lag;
  double stream_clients = 0;
};

// An HTTP answer is an error when the proxy or what it calls failed (5xx); a delivery
// attempt when it will be retried or went to the dead-letter topic.
bool is_error(const Sample& sample) {
  if (sample.name == "causeway_deliveries_total") return sample.label("result") != "success";
  const auto& code = sample.label("code");
  return !code.empty() && code.front() == '5';
}

std::map<std::string, RouteCounts> counts_by_route(const std::vector<Sample>& samples) {
  std::map<std::string, RouteCounts> routes;
  for (const auto& sample : samples) {
    if (sample.name == "causeway_requests_total" || sample.name == "causeway_deliveries_total") {
      auto& route = routes[sample.label("route")];
      route.requests += sample.value;
      if (is_error(sample)) route.errors += sample.value;
    } else if (sample.name == "causeway_request_duration_seconds_bucket" ||
               sample.name == "causeway_delivery_duration_seconds_bucket") {
      // A route is fed by a listener or by a broker, so at most one of the two has its name.
      const auto& le = sample.label("le");
      routes[sample.label("route")].buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), sample.value);
    } else if (sample.name == "causeway_consumer_lag") {
      routes[sample.label("route")].lag.push_back(
          json::object{{"partition", sample.label("partition")}, {"messages", sample.value}});
    } else if (sample.name == "causeway_stream_clients") {
      routes[sample.label("route")].stream_clients = sample.value;
    }
  }
  return routes;
}

double scalar(const std::vector<Sample>& samples, const std::string& name) {
  for (const auto& sample : samples) {
    if (sample.name == name) return sample.value;
  }
  return 0;
}

// broker -> messages its breaker answered "not stored" at once.
std::map<std::string, double> refused_by_broker(const std::vector<Sample>& samples) {
  std::map<std::string, double> refused;
  for (const auto& sample : samples) {
    if (sample.name == "causeway_broker_refused_total") refused[sample.label("broker")] += sample.value;
  }
  return refused;
}

json::array buckets_json(const std::vector<std::pair<double, double>>& buckets) {
  json::array out;
  for (const auto& [bound, count] : buckets) {
    // JSON has no infinity: the last bucket's bound is null.
    out.push_back(json::array{std::isinf(bound) ? json::value(nullptr) : json::value(bound), count});
  }
  return out;
}

}  // namespace

std::string dashboard_json(const config::Config& config, const RuntimeFacts& facts, const std::vector<Sample>& samples,
                           const std::optional<std::string>& readiness) {
  auto counts = counts_by_route(samples);
  json::array routes;
  for (const auto& route : config.routes) {
    auto& count = counts[route.name];
    routes.push_back(json::object{{"name", route.name},
                                  {"mode", config::to_string(route.mode)},
                                  {"requests", count.requests},
                                  {"errors", count.errors},
                                  {"buckets", buckets_json(count.buckets)},
                                  {"lag", std::move(count.lag)},
                                  // Only a stream route has clients; the gauge appears with its first one.
                                  {"stream_clients", route.mode == config::Mode::stream
                                                         ? json::value(count.stream_clients)
                                                         : json::value(nullptr)}});
  }
  json::array brokers;
  auto refused = refused_by_broker(samples);
  for (const auto& broker : config.brokers) {
    auto address = facts.broker_addresses.find(broker.name);
    auto state = facts.broker_states.find(broker.name);
    auto breaker = facts.broker_breakers.find(broker.name);
    brokers.push_back(json::object{
        {"name", broker.name},
        {"type", broker.type},
        {"address", address == facts.broker_addresses.end() ? "" : address->second},
        {"state", state == facts.broker_states.end() ? "unknown" : state->second},
        {"breaker", breaker == facts.broker_breakers.end() ? "unknown" : breaker->second},
        {"refused", refused[broker.name]}});
  }
  json::array upstreams;
  for (const auto& upstream : config.upstreams) {
    auto state = facts.upstream_states.find(upstream.name);
    upstreams.push_back(json::object{
        {"name", upstream.name},
        {"type", upstream.type},
        {"breaker", state == facts.upstream_states.end() ? "unknown" : state->second}});
  }
  json::object out{{"version", facts.version},
                   {"ready", !readiness.has_value()},
                   {"readiness", readiness ? json::value(*readiness) : json::value(nullptr)},
                   {"pending_replies", scalar(samples, "causeway_replies_pending")},
                   {"pending_callbacks", scalar(samples, "causeway_callbacks_pending")},
                   {"last_reload", json::object{{"result", facts.last_reload.result},
                                                {"message", facts.last_reload.message},
                                                {"at", facts.last_reload.at}}},
                   {"routes", std::move(routes)},
                   {"brokers", std::move(brokers)},
                   {"upstreams", std::move(upstreams)}};
  return json::serialize(out);
}

}  // namespace causeway::admin
