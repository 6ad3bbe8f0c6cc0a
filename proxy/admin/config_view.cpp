#include "admin/config_view.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "config/units.h"

namespace causeway::admin {

namespace json = boost::json;

namespace {

json::object limits_json(const config::HttpLimits& limits) {
  return {{"max_header_bytes", config::format_size(limits.max_header_bytes)},
          {"max_headers", limits.max_headers},
          {"max_body", config::format_size(limits.max_body_bytes)},
          {"header_timeout", config::format_duration(limits.header_timeout)},
          {"body_timeout", config::format_duration(limits.body_timeout)},
          {"idle_timeout", config::format_duration(limits.idle_timeout)},
          {"max_connections", limits.max_connections}};
}

json::object grpc_limits_json(const config::GrpcLimits& limits) {
  return {{"max_concurrent_streams", limits.max_concurrent_streams},
          {"max_message", config::format_size(limits.max_message_bytes)},
          {"max_metadata", config::format_size(limits.max_metadata_bytes)},
          {"max_connection_age", config::format_duration(limits.max_connection_age)},
          {"max_connection_idle", config::format_duration(limits.max_connection_idle)},
          {"min_ping_interval", config::format_duration(limits.min_ping_interval)}};
}

json::object from_json(const config::Route& route) {
  if (const auto* topic = route.topic_source()) {
    return {{"broker", topic->broker}, {"topic", topic->topic}, {"group", topic->group}};
  }
  const auto& http = *route.http_source();
  if (http.rpc) return {{"listener", http.listener}, {"rpc", http.rpc->name}};
  if (http.annotated) return {{"listener", http.listener}, {"paths", "google.api.http bindings of to.rpc"}};
  json::object from{{"listener", http.listener}, {"path", http.path.text()}};
  if (http.method) from["method"] = *http.method;
  return from;
}

json::object to_json(const config::Route& route) {
  if (const auto* topic = std::get_if<config::TopicTarget>(&route.to)) {
    json::object to{{"broker", topic->broker}, {"topic", topic->topic.text()}};
    if (topic->key) to["key"] = topic->key->text();
    if (topic->reply) {
      to["reply"] = *topic->reply;
      to["timeout"] = config::format_duration(topic->timeout);
    }
    return to;
  }
  if (const auto* upstream = std::get_if<config::UpstreamTarget>(&route.to)) {
    json::object to{{"upstream", upstream->upstream}};
    if (upstream->method) to["method"] = *upstream->method;
    if (upstream->path) to["path"] = upstream->path->text();
    if (upstream->rpc) to["rpc"] = upstream->rpc->name;
    if (upstream->timeout) to["timeout"] = config::format_duration(*upstream->timeout);
    return to;
  }
  const auto& direct = std::get<config::DirectResponse>(route.to);
  return {{"status", direct.status}, {"body", direct.body}, {"content_type", direct.content_type}};
}

// The secrets are shown as how many there are, never their values.
json::object callback_json(const config::Callback& callback) {
  json::array allow;
  for (const auto& rule : callback.allow) allow.push_back(json::value(rule.text));
  json::array secrets;
  for (std::size_t i = 0; i < callback.secrets.size(); ++i) secrets.push_back("<redacted>");
  json::object out{{"header", callback.header},
                   {"allow", std::move(allow)},
                   {"secret", std::move(secrets)},
                   {"retry",
                    {{"attempts", callback.retry.attempts},
                     {"backoff", config::format_duration(callback.retry.backoff)},
                     {"max_backoff", config::format_duration(callback.retry.max_backoff)}}},
                   {"timeout", config::format_duration(callback.timeout)}};
  if (callback.dead_letter) out["dead_letter"] = *callback.dead_letter;
  return out;
}

json::object route_json(const config::Route& route) {
  json::object out{{"name", route.name}, {"mode", config::to_string(route.mode)}, {"from", from_json(route)},
                   {"to", to_json(route)}};
  if (!route.headers.empty()) out["headers"] = json::value_from(route.headers);
  if (route.encoding == config::Encoding::json) out["encoding"] = "json";
  if (route.envelope == config::Envelope::cloudevents) {
    out["envelope"] = "cloudevents";
    out["cloudevents"] = {{"type", route.cloudevents.type}, {"source", route.cloudevents.source}};
  }
  if (route.limits.concurrency || route.limits.rate) {
    json::object limits;
    if (route.limits.concurrency) limits["concurrency"] = *route.limits.concurrency;
    if (route.limits.rate) limits["rate"] = *route.limits.rate;
    if (route.limits.burst) limits["burst"] = *route.limits.burst;
    out["limits"] = std::move(limits);
  }
  if (route.mode == config::Mode::forward && route.retry.attempts > 1) {
    out["retry"] = {{"attempts", route.retry.attempts}, {"backoff", config::format_duration(route.retry.backoff)}};
  }
  if (route.mode == config::Mode::delivery || route.mode == config::Mode::bridge) {
    out["retry"] = {{"attempts", route.retry.attempts},
                    {"backoff", config::format_duration(route.retry.backoff)},
                    {"max_backoff", config::format_duration(route.retry.max_backoff)}};
    if (route.dead_letter) out["dead_letter"] = *route.dead_letter;
    out["concurrency"] = route.concurrency;
    out["max_buffered"] = route.max_buffered;
  }
  if (route.callback) out["callback"] = callback_json(*route.callback);
  return out;
}

}  // namespace

std::string config_json(const config::Config& config, const RuntimeFacts& facts) {
  json::object listeners;
  for (const auto& listener : config.listeners) {
    const bool grpc = listener.protocol == config::Protocol::grpc;
    json::object out{{"protocol", config::to_string(listener.protocol)},
                     {"listen", listener.listen.text()},
                     {"limits", grpc ? grpc_limits_json(listener.grpc_limits) : limits_json(listener.limits)}};
    if (auto bound = facts.listener_addresses.find(listener.name); bound != facts.listener_addresses.end()) {
      out["bound"] = bound->second;
    }
    listeners[listener.name] = std::move(out);
  }
  json::object brokers;
  for (const auto& broker : config.brokers) {
    json::object out{{"type", broker.type}};
    for (auto& [key, value] : broker.settings->describe()) out[key] = std::move(value);
    if (auto address = facts.broker_addresses.find(broker.name); address != facts.broker_addresses.end()) {
      out["address"] = address->second;
    }
    brokers[broker.name] = std::move(out);
  }
  json::object upstreams;
  for (const auto& upstream : config.upstreams) {
    const std::string address = config::Endpoint{upstream.host, upstream.port}.text();
    if (upstream.type == "grpc") {
      upstreams[upstream.name] = {{"type", upstream.type},
                                  {"address", address},
                                  {"timeout", config::format_duration(upstream.timeout)},
                                  {"max_response", config::format_size(upstream.max_response_bytes)}};
      continue;
    }
    upstreams[upstream.name] = {{"type", upstream.type},
                                {"url", upstream.scheme + "://" + address + upstream.base_path},
                                {"timeout", config::format_duration(upstream.timeout)},
                                {"connect_timeout", config::format_duration(upstream.connect_timeout)},
                                {"max_connections", upstream.max_connections},
                                {"max_response", config::format_size(upstream.max_response_bytes)},
                                {"idle_timeout", config::format_duration(upstream.idle_timeout)}};
    if (upstream.circuit_breaker) {
      upstreams[upstream.name].as_object()["circuit_breaker"] = {
          {"failures", upstream.circuit_breaker->failures},
          {"open_for", config::format_duration(upstream.circuit_breaker->open_for)}};
    }
  }
  json::array routes;
  for (const auto& route : config.routes) routes.push_back(route_json(route));

  json::object admin{{"listen", config.admin.listen.text()}};
  if (!facts.admin_address.empty()) admin["bound"] = facts.admin_address;
  json::object out{{"file", config.file},
                   {"version", facts.version},
                   {"admin", std::move(admin)},
                   {"drain_timeout", config::format_duration(config.drain_timeout)},
                   {"listeners", std::move(listeners)},
                   {"brokers", std::move(brokers)},
                   {"upstreams", std::move(upstreams)},
                   {"routes", std::move(routes)}};
  if (config.protos) {
    json::array files;
    for (const auto& file : config.protos->files) files.push_back(json::string(file.path));
    out["protos"] = {{"files", std::move(files)}, {"include", json::value_from(config.protos->include)}};
  }
  return json::serialize(out);
}

std::string routes_json(const config::Config& config, const std::vector<Sample>& samples) {
  std::map<std::string, json::object> counts;
  std::map<std::string, std::uint64_t> totals;
  for (const auto& sample : samples) {
    const bool request = sample.name == "causeway_requests_total";
    if (!request && sample.name != "causeway_deliveries_total") continue;
    const auto& route = sample.label("route");
    const auto count = static_cast<std::uint64_t>(sample.value);
    counts[route][sample.label(request ? "code" : "result")] = count;
    totals[route] += count;
  }
  json::array routes;
  for (const auto& route : config.routes) {
    auto out = route_json(route);
    out["requests"] = totals[route.name];
    out["responses"] = std::move(counts[route.name]);
    routes.push_back(std::move(out));
  }
  return json::serialize(json::object{{"routes", std::move(routes)}});
}

}  // namespace causeway::admin
