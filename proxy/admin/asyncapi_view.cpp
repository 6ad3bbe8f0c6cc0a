#include "admin/asyncapi_view.h"

#include <cctype>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace causeway::admin {

namespace json = boost::json;

namespace {

// AsyncAPI keys allow letters, digits, '.', '-' and '_' only.
std::string key_of(const std::string& text) {
  std::string key;
  for (char c : text) key += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  return key.empty() ? "_" : key;
}

json::object string_header(const std::string& description) { return {{"type", "string"}, {"description", description}}; }

const config::WireHeaders& wire_headers(const config::Config& config, const std::string& broker) {
  static const config::WireHeaders defaults;
  for (const auto& entry : config.brokers) {
    if (entry.name == broker) return entry.headers;
  }
  return defaults;
}

// The headers Causeway puts on a message it produces for a route.
json::object request_headers(const config::Route& route, const config::WireHeaders& names) {
  json::object properties{{names.correlation_id, string_header("unique per request; from Idempotency-Key when sent")},
                          {"content-type", string_header("the request's content type")},
                          {"traceparent", string_header("W3C trace context")},
                          {"tracestate", string_header("W3C trace context")}};
  if (route.mode == config::Mode::request_reply) {
    properties[names.reply_to] = string_header("where the reply goes");
    properties[names.reply_partition] = string_header("the partition this instance reads replies on");
  }
  if (route.envelope == config::Envelope::cloudevents) {
    for (const char* name : {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"}) {
      properties[name] = string_header("CloudEvents binary mode");
    }
  }
  for (const auto& header : route.headers) properties[header] = string_header("copied from the request");
  return {{"type", "object"}, {"required", json::array{json::string(names.correlation_id)}}, {"properties", std::move(properties)}};
}

json::object reply_headers(const config::WireHeaders& names) {
  return {{"type", "object"},
          {"required", json::array{json::string(names.correlation_id)}},
          {"properties", {{names.correlation_id, string_header("the request's correlation id")},
                          {names.status, string_header("the HTTP status to answer with (default 200)")},
                          {"content-type", string_header("the response's content type")}}}};
}

json::object dead_letter_headers() {
  json::object properties;
  for (const char* name : {"dlt-original-topic", "dlt-original-partition", "dlt-original-offset", "dlt-attempts", "dlt-error"}) {
    properties[name] = string_header("added when the message was dead-lettered");
  }
  return {{"type", "object"}, {"properties", std::move(properties)}};
}

// Variables in a topic template become channel parameters ("orders.{region}").
json::object parameters_of(const std::string& address) {
  json::object parameters;
  for (auto open = address.find('{'); open != std::string::npos; open = address.find('{', open + 1)) {
    const auto close = address.find('}', open);
    if (close == std::string::npos) break;
    parameters[address.substr(open + 1, close - open - 1)] = {{"description", "from the request path"}};
  }
  return parameters;
}

class Document {
 public:
  Document(const config::Config& config, const RuntimeFacts& facts) : config_(config) {
    for (const auto& broker : config.brokers) {
      auto address = facts.broker_addresses.find(broker.name);
      servers_[key_of(broker.name)] = {
          {"host", address == facts.broker_addresses.end() ? "unknown" : address->second},
          {"protocol", broker.type == "rabbitmq" ? "amqp" : broker.type},
          {"description", "broker " + broker.name}};
    }
  }

  // A channel (created once per broker and address) with one message; returns its key.
  std::string channel(const std::string& broker, const std::string& address, const std::string& message,
                      json::object message_body) {
    const std::string key = key_of(broker + "." + address);
    auto& channel = channels_[key];
    if (!channel.is_object()) {
      json::object out{{"address", address},
                       {"servers", json::array{json::object{{"$ref", "#/servers/" + key_of(broker)}}}},
                       {"messages", json::object{}}};
      if (auto parameters = parameters_of(address); !parameters.empty()) out["parameters"] = std::move(parameters);
      channel = std::move(out);
    }
    channel.as_object()["messages"].as_object()[key_of(message)] = std::move(message_body);
    return key;
  }

  void operation(const std::string& name, const char* action, const std::string& channel, const std::string& message,
                 std::optional<std::pair<std::string, std::string>> reply = std::nullopt) {
    json::object op{{"action", action},
                    {"channel", {{"$ref", "#/channels/" + channel}}},
                    {"messages", json::array{message_ref(channel, message)}}};
    if (reply) {
      op["reply"] = {{"channel", {{"$ref", "#/channels/" + reply->first}}},
                     {"messages", json::array{message_ref(reply->first, reply->second)}}};
    }
    operations_[key_of(name)] = std::move(op);
  }

  void add(const config::Route& route) {
    if (const auto* target = std::get_if<config::TopicTarget>(&route.to); target && target->stream) {
      // A stream route reads the topic for its HTTP clients; it produces nothing.
      auto from = channel(target->broker, target->topic.text(), route.name, {{"payload", json::object{}}});
      operation(route.name, "receive", from, route.name);
      return;
    }
    if (const auto* target = std::get_if<config::TopicTarget>(&route.to)) {
      const auto& names = wire_headers(config_, target->broker);
      auto request = channel(target->broker, target->topic.text(), route.name,
                             {{"headers", request_headers(route, names)}, {"payload", json::object{}}});
      std::optional<std::pair<std::string, std::string>> reply;
      if (target->reply) {
        auto replies = channel(target->broker, *target->reply, route.name + ".reply",
                               {{"headers", reply_headers(names)}, {"payload", json::object{}}});
        reply = std::pair{replies, route.name + ".reply"};
      }
      if (const auto* source = route.topic_source()) {  // a bridge: read here, produce there
        auto from = channel(source->broker, source->topic, route.name + ".in", {{"payload", json::object{}}});
        operation(route.name + ".receive", "receive", from, route.name + ".in");
      }
      operation(route.name, "send", request, route.name, reply);
      return;
    }
    if (const auto* source = route.topic_source()) {
      auto from = channel(source->broker, source->topic, route.name, {{"payload", json::object{}}});
      operation(route.name, "receive", from, route.name);
      if (route.dead_letter) {
        auto dead = channel(source->broker, *route.dead_letter, route.name + ".dead_letter",
                            {{"headers", dead_letter_headers()}, {"payload", json::object{}}});
        operation(route.name + ".dead_letter", "send", dead, route.name + ".dead_letter");
      }
    }
  }

  json::object finish(const std::string& version) {
    return {{"asyncapi", "3.0.0"},
            {"info", {{"title", "Causeway topics and queues"},
                      {"version", version.empty() ? "unknown" : version},
                      {"description", "Generated from " + config_.file}}},
            {"servers", std::move(servers_)},
            {"channels", std::move(channels_)},
            {"operations", std::move(operations_)}};
  }

 private:
  static json::object message_ref(const std::string& channel, const std::string& message) {
    return {{"$ref", "#/channels/" + channel + "/messages/" + key_of(message)}};
  }

  const config::Config& config_;
  json::object servers_;
  json::object channels_;
  json::object operations_;
};

}  // namespace

std::string asyncapi_json(const config::Config& config, const RuntimeFacts& facts) {
  Document document(config, facts);
  for (const auto& route : config.routes) document.add(route);
  return json::serialize(document.finish(facts.version));
}

}  // namespace causeway::admin
