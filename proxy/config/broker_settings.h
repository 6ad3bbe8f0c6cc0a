#pragma once
// A broker entry's own part, which only its adapter reads: Kafka's bootstrap and
// librdkafka options, RabbitMQ's URL and channel options. The common loader parses
// name, type and headers; the kind registered for `type` parses the rest, so adding a
// broker never touches the loader.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::json {
class object;
}

namespace causeway::config {

class Mapping;
struct Broker;

class BrokerSettings {
 public:
  virtual ~BrokerSettings() = default;
  // Same kind and same values: a reload keeps the broker's client and connections.
  virtual bool equals(const BrokerSettings& other) const = 0;
  // What /config shows of it, secrets redacted.
  virtual boost::json::object describe() const = 0;
};

// How routes name things on a kind of broker: `to: {broker, topic, key}` on Kafka,
// `to: {broker, exchange, routing_key}` on RabbitMQ, and so on.
struct RouteWords {
  std::string_view destination = "topic";  // to: where messages go
  std::string_view key = "key";            // to: the message's key (a template)
  std::string_view source = "topic";       // from: what is read
  bool groups = true;                      // from: a consumer group is required
  bool bindings = false;                   // from: `bind` and `key_header` are taken
  bool empty_destination = false;          // to: "" is a destination (RabbitMQ's default exchange)
  // Variables a delivery route's upstream path may use.
  std::vector<std::string> message_variables{"topic", "partition", "offset", "key"};
  // Why a name of a topic, queue or exchange cannot be used; nullopt when it can.
  std::function<std::optional<std::string>(std::string_view name)> name_problem;
};

struct BrokerKind {
  std::string type;                   // the `type:` value: "kafka", "rabbitmq"
  std::vector<std::string_view> keys;  // the keys it reads besides type and headers
  RouteWords words;
  // Reads those keys of the broker's mapping; fails through the mapping's nodes
  // (file:line:col). `broker` has name, type and headers already.
  std::function<std::shared_ptr<const BrokerSettings>(const Mapping& map, const Broker& broker)> parse;
  // What starting on this host would refuse without connecting anywhere (validate checks
  // it too); nullopt when nothing. Optional.
  std::function<std::optional<std::string>(const Broker& broker)> host_check;
};

}  // namespace causeway::config
