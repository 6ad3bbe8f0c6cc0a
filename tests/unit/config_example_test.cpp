// The configuration example of DESIGN.md loads, piece by piece.
#include <gtest/gtest.h>

#include "config_kafka_settings.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

// DESIGN.md's example without the rpc listener, protos, upstreams and the routes that need them
// (the tests add those).
const std::string kImplemented = R"(
admin:
  listen: 127.0.0.1:9901          # /metrics, /healthz, /readyz, /config, /routes

listeners:
  public:  { protocol: http, listen: 0.0.0.0:8080 }

brokers:
  events:
    type: kafka
    bootstrap: embedded            # in-process broker, for trying it out; else "k1:9092,k2:9092"
    options: { linger.ms: 1 }      # handed to librdkafka as they are

routes:
  - name: order-created                      # HTTP -> Kafka event
    from: { listener: public, method: POST, path: "/orders/{customer}/events" }
    to:   { broker: events, topic: orders.created, key: "{customer}" }
)";

TEST(ConfigExample, ImplementedPartLoads) {
  const Config config = parse_config(kImplemented, "config/causeway.yaml");
  EXPECT_EQ(config.admin.listen.text(), "127.0.0.1:9901");
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.listeners[0].listen.text(), "0.0.0.0:8080");
  ASSERT_EQ(config.brokers.size(), 1u);
  EXPECT_TRUE(kafka_of(config.brokers[0]).embedded);
  ASSERT_EQ(kafka_of(config.brokers[0]).options.size(), 1u);
  EXPECT_EQ(kafka_of(config.brokers[0]).options[0].name, "linger.ms");
  EXPECT_EQ(kafka_of(config.brokers[0]).options[0].value, "1");
  ASSERT_EQ(config.routes.size(), 1u);
  const Route& route = config.routes[0];
  EXPECT_EQ(route.name, "order-created");
  EXPECT_EQ(route.mode, Mode::event);
  EXPECT_EQ(route.http_source()->method, "POST");
  const auto& to = std::get<TopicTarget>(route.to);
  EXPECT_EQ(to.topic.text(), "orders.created");
  ASSERT_TRUE(to.key.has_value());
  EXPECT_EQ(to.key->text(), "{customer}");
}

TEST(ConfigExample, RequestReplyRouteLoads) {
  const Config config = parse_config(kImplemented +
                                         "  - name: quote\n"
                                         "    from: { listener: public, method: POST, path: /quotes }\n"
                                         "    to:   { broker: events, topic: quotes.requests, reply: quotes.replies, timeout: 5s }\n",
                                     "config/causeway.yaml");
  ASSERT_EQ(config.routes.size(), 2u);
  const Route& route = config.routes[1];
  EXPECT_EQ(route.mode, Mode::request_reply);
  const auto& to = std::get<TopicTarget>(route.to);
  EXPECT_EQ(to.topic.text(), "quotes.requests");
  EXPECT_EQ(to.reply, "quotes.replies");
  EXPECT_EQ(to.timeout, std::chrono::seconds(5));
  EXPECT_EQ(std::get<TopicTarget>(config.routes[0].to).timeout, std::chrono::seconds(15));  // the default
  EXPECT_FALSE(std::get<TopicTarget>(config.routes[0].to).reply.has_value());
}

TEST(ConfigExample, BrokerWireHeadersAndReplySettings) {
  const Config config = parse_config(R"(
replies: { max_pending: 10, keep: 1m, max_kept: 1MiB }
brokers:
  spring:
    bootstrap: embedded
    reply_partition: 3
    headers:
      correlation_id: kafka_correlationId
      reply_to: kafka_replyTopic
      reply_partition: kafka_replyPartition
      reply_partition_encoding: int32
  replicas:
    bootstrap: "k1:9092, k2:9092"
    reply_partition: ordinal
)",
                                     "c.yaml");
  EXPECT_EQ(config.replies.max_pending, 10u);
  EXPECT_EQ(config.replies.keep, std::chrono::minutes(1));
  EXPECT_EQ(config.replies.max_kept_bytes, 1024u * 1024u);
  const Broker& spring = config.brokers[0];
  EXPECT_EQ(spring.headers.correlation_id, "kafka_correlationId");
  EXPECT_EQ(spring.headers.reply_to, "kafka_replyTopic");
  EXPECT_EQ(spring.headers.reply_partition, "kafka_replyPartition");
  EXPECT_EQ(spring.headers.status, "status");
  EXPECT_EQ(spring.headers.reply_partition_encoding, WireHeaders::PartitionEncoding::int32);
  EXPECT_FALSE(kafka_of(spring).reply_partition.ordinal);
  EXPECT_EQ(kafka_of(spring).reply_partition.partition, 3);
  const Broker& replicas = config.brokers[1];
  EXPECT_TRUE(kafka_of(replicas).reply_partition.ordinal);
  EXPECT_EQ(kafka_of(replicas).bootstrap, "k1:9092,k2:9092");
  EXPECT_EQ(replicas.headers.correlation_id, "correlation-id");
}

TEST(ConfigExample, DeliveryRouteLoads) {
  const Config config = parse_config("upstreams:\n  orders:    { type: http, url: http://127.0.0.1:3000, timeout: 2s }\n" +
                                         kImplemented +
                                         "  - name: handle-orders\n"
                                         "    from: { broker: events, topic: orders.created, group: order-handler }\n"
                                         "    to:   { upstream: orders, method: POST, path: /orders/events }\n"
                                         "    retry: { attempts: 5, backoff: 200ms, max_backoff: 10s }\n"
                                         "    dead_letter: orders.created.dlq\n",
                                     "config/causeway.yaml");
  ASSERT_EQ(config.upstreams.size(), 1u);
  EXPECT_EQ(config.upstreams[0].host, "127.0.0.1");
  EXPECT_EQ(config.upstreams[0].port, 3000);
  EXPECT_EQ(config.upstreams[0].timeout, std::chrono::seconds(2));
  const Route& route = config.routes.at(1);
  EXPECT_EQ(route.mode, Mode::delivery);
  ASSERT_NE(route.topic_source(), nullptr);
  EXPECT_EQ(route.topic_source()->topic, "orders.created");
  EXPECT_EQ(route.topic_source()->group, "order-handler");
  const auto& to = std::get<UpstreamTarget>(route.to);
  EXPECT_EQ(to.upstream, "orders");
  EXPECT_EQ(to.method, std::optional<std::string>("POST"));
  EXPECT_EQ(to.path->text(), "/orders/events");
  EXPECT_EQ(route.retry.attempts, 5);
  EXPECT_EQ(route.retry.backoff, std::chrono::milliseconds(200));
  EXPECT_EQ(route.retry.max_backoff, std::chrono::seconds(10));
  EXPECT_EQ(route.dead_letter, "orders.created.dlq");
  EXPECT_EQ(route.concurrency, 16u);
}

TEST(ConfigExample, UpstreamUrlForms) {
  const Config config = parse_config(
      "upstreams:\n  a: { url: http://svc }\n  b: { url: \"http://[::1]:8081/api/v1/\" }\n  c: { url: http://10.0.0.1:3000/x }\n",
      "c.yaml");
  EXPECT_EQ(config.upstreams[0].host, "svc");
  EXPECT_EQ(config.upstreams[0].port, 80);
  EXPECT_EQ(config.upstreams[0].base_path, "");
  EXPECT_EQ(config.upstreams[1].host, "::1");
  EXPECT_EQ(config.upstreams[1].port, 8081);
  EXPECT_EQ(config.upstreams[1].base_path, "/api/v1");
  EXPECT_EQ(config.upstreams[2].base_path, "/x");
}

// The gRPC parts of DESIGN.md's example: the rpc listener, protos, a gRPC upstream and a
// REST -> gRPC route (the methods themselves are checked against the protos at startup).
TEST(ConfigExample, GrpcPartsLoad) {
  std::string yaml = kImplemented +
                     "  - name: get-item\n"
                     "    from: { listener: public, method: GET, path: \"/v1/items/{sku}\" }\n"
                     "    to:   { upstream: inventory, rpc: inventory.v1.Inventory/GetItem }\n"
                     "protos:\n  files: [proto/inventory.proto]\n  include: [proto]\n"
                     "upstreams:\n  inventory: { type: grpc, address: 127.0.0.1:50052 }\n";
  const std::string public_line = "  public:  { protocol: http, listen: 0.0.0.0:8080 }\n";
  yaml.insert(yaml.find(public_line) + public_line.size(), "  rpc:     { protocol: grpc, listen: 0.0.0.0:50051 }\n");
  const Config config = parse_config(yaml, "config/causeway.yaml");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[1].protocol, Protocol::grpc);
  EXPECT_EQ(config.listeners[1].grpc_limits.max_concurrent_streams, 100);
  ASSERT_TRUE(config.protos);
  ASSERT_EQ(config.protos->files.size(), 1u);
  EXPECT_EQ(config.protos->files[0].path, "proto/inventory.proto");
  EXPECT_EQ(config.protos->include, std::vector<std::string>{"proto"});
  ASSERT_EQ(config.upstreams.size(), 1u);
  EXPECT_EQ(config.upstreams[0].type, "grpc");
  EXPECT_EQ(config.upstreams[0].port, 50052);
  const Route& route = config.routes[1];
  EXPECT_EQ(route.mode, Mode::transcode);
  const auto& to = std::get<UpstreamTarget>(route.to);
  ASSERT_TRUE(to.rpc);
  EXPECT_EQ(to.rpc->name, "inventory.v1.Inventory/GetItem");
  EXPECT_EQ(to.rpc->where, "routes[1].to.rpc");
}

TEST(ConfigExample, GrpcListenerRoutesMatchTheCallPath) {
  std::string yaml = kImplemented +
                     "  - name: all-inventory\n"
                     "    from: { listener: rpc, rpc: \"inventory.v1.Inventory/*\" }\n"
                     "    to:   { broker: events, topic: inventory.calls }\n"
                     "    encoding: json\n"
                     "  - name: get-item\n"
                     "    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }\n"
                     "    to:   { upstream: inventory }\n"
                     "upstreams:\n  inventory: { type: grpc, address: 127.0.0.1:50052 }\n";
  const std::string public_line = "  public:  { protocol: http, listen: 0.0.0.0:8080 }\n";
  yaml.insert(yaml.find(public_line) + public_line.size(), "  rpc:     { protocol: grpc, listen: 0.0.0.0:50051 }\n");
  const Config config = parse_config(yaml, "config/causeway.yaml");
  const auto* any = config.routes[1].http_source();
  EXPECT_EQ(any->path.text(), "/inventory.v1.Inventory/{method}");
  EXPECT_EQ(any->method, "POST");
  EXPECT_EQ(config.routes[1].encoding, Encoding::json);
  EXPECT_EQ(config.routes[1].mode, Mode::event);
  EXPECT_EQ(config.routes[2].http_source()->path.text(), "/inventory.v1.Inventory/GetItem");
  EXPECT_EQ(config.routes[2].mode, Mode::forward);
}

// DESIGN.md writes the path unquoted inside { ... }, which no YAML parser accepts: the
// error has to say what to do.
TEST(ConfigExample, UnquotedBracesInAFlowMappingGetAHint) {
  const std::string yaml =
      "routes:\n"
      "  - name: order-created\n"
      "    from: { listener: public, method: POST, path: /orders/{customer}/events }\n";
  try {
    parse_config(yaml, "config/causeway.yaml");
    FAIL() << "parsed";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "config/causeway.yaml:3:59: invalid YAML: end of map flow not found (a value with braces inside "
                 "{ ... } needs quotes, like path: \"/orders/{id}\")");
  }
}

// The shipped default config, when the tree has one yet: found next to this source file,
// through CAUSEWAY_SOURCE_DIR, or from the working directory.
std::filesystem::path find_shipped_config() {
  std::vector<std::filesystem::path> candidates{
      std::filesystem::path(__FILE__).parent_path() / "../../config/causeway.yaml"};
  if (const char* source = std::getenv("CAUSEWAY_SOURCE_DIR")) candidates.emplace_back(std::filesystem::path(source) / "config/causeway.yaml");
  for (const char* relative : {"config/causeway.yaml", "../config/causeway.yaml", "../../config/causeway.yaml"}) {
    candidates.emplace_back(relative);
  }
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  return {};
}

TEST(ConfigExample, ShippedDefaultConfigLoads) {
  const std::filesystem::path file = find_shipped_config();
  if (file.empty()) GTEST_SKIP() << "config/causeway.yaml is not in the source tree yet";
  try {
    const Config config = load_config(file.string());
    EXPECT_FALSE(config.listeners.empty()) << "the default config should run standalone";
  } catch (const ConfigError& error) {
    FAIL() << error.what();
  }
}

}  // namespace
}  // namespace causeway::config
