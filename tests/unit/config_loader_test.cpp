// Valid configs and the structs they become, defaults filled in.
#include "config/config_loader.h"

#include <gtest/gtest.h>

#include "config_kafka_settings.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace causeway::config {
namespace {

const TopicTarget& topic_target(const Route& route) { return std::get<TopicTarget>(route.to); }

TEST(ConfigLoader, EmptyMappingGivesTheDefaults) {
  const Config config = parse_config("{}\n", "empty.yaml");
  EXPECT_EQ(config.file, "empty.yaml");
  EXPECT_EQ(config.admin.listen.text(), "127.0.0.1:9901");
  EXPECT_EQ(config.drain_timeout, 15s);
  EXPECT_TRUE(config.listeners.empty());
  EXPECT_TRUE(config.brokers.empty());
  EXPECT_TRUE(config.routes.empty());
}

TEST(ConfigLoader, ReadsAdminAndDrainTimeout) {
  const Config config = parse_config("admin:\n  listen: '[::1]:9000'\ndrain_timeout: 2.5s\n", "c.yaml");
  EXPECT_EQ(config.admin.listen.host, "::1");
  EXPECT_EQ(config.admin.listen.port, 9000);
  EXPECT_EQ(config.drain_timeout, 2500ms);
}

TEST(ConfigLoader, FillsListenerDefaults) {
  const Config config = parse_config(
      "listeners:\n"
      "  public: { protocol: http, listen: 0.0.0.0:8080 }\n"
      "  internal: { protocol: http, listen: ':8081' }\n",
      "c.yaml");
  ASSERT_EQ(config.listeners.size(), 2u);
  const Listener& listener = config.listeners[0];
  EXPECT_EQ(listener.name, "public");
  EXPECT_EQ(listener.protocol, Protocol::http);
  EXPECT_EQ(listener.listen.text(), "0.0.0.0:8080");
  EXPECT_EQ(listener.mark.line, 2);
  EXPECT_EQ(listener.mark.column, 3);
  const HttpLimits defaults;
  EXPECT_EQ(listener.limits.max_header_bytes, defaults.max_header_bytes);
  EXPECT_EQ(listener.limits.max_headers, 100u);
  EXPECT_EQ(listener.limits.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(listener.limits.header_timeout, 10s);
  EXPECT_EQ(listener.limits.body_timeout, 30s);
  EXPECT_EQ(listener.limits.idle_timeout, 60s);
  EXPECT_EQ(listener.limits.max_connections, 10000u);
  EXPECT_EQ(config.listeners[1].name, "internal");
  EXPECT_EQ(config.listeners[1].listen.host, "0.0.0.0");
  EXPECT_EQ(config.find_listener("internal"), &config.listeners[1]);
  EXPECT_EQ(config.find_listener("nope"), nullptr);
}

TEST(ConfigLoader, ReadsEveryLimit) {
  const Config config = parse_config(
      "listeners:\n"
      "  public:\n"
      "    protocol: http\n"
      "    listen: 127.0.0.1:0\n"
      "    limits:\n"
      "      max_header_bytes: 16KiB\n"
      "      max_headers: 50\n"
      "      max_body: 1.5MiB\n"
      "      header_timeout: 2s\n"
      "      body_timeout: 500ms\n"
      "      idle_timeout: 1m\n"
      "      max_connections: '20'\n"
      "  other: { protocol: http, listen: 127.0.0.1:0 }\n",  // port 0 never clashes
      "c.yaml");
  const HttpLimits& limits = config.listeners.at(0).limits;
  EXPECT_EQ(limits.max_header_bytes, 16384u);
  EXPECT_EQ(limits.max_headers, 50u);
  EXPECT_EQ(limits.max_body_bytes, 1572864u);
  EXPECT_EQ(limits.header_timeout, 2s);
  EXPECT_EQ(limits.body_timeout, 500ms);
  EXPECT_EQ(limits.idle_timeout, 1min);
  EXPECT_EQ(limits.max_connections, 20u);
}

TEST(ConfigLoader, ReadsBrokersAndKeepsOptionsInFileOrder) {
  const Config config = parse_config(
      "brokers:\n"
      "  events:\n"
      "    type: kafka\n"
      "    bootstrap: embedded\n"
      "    options:\n"
      "      linger.ms: 1\n"
      "      enable.idempotence: true\n"
      "      compression.type: \"lz4\"\n"
      "  remote: { bootstrap: 'k1:9092, k2:9093' }\n",
      "c.yaml");
  ASSERT_EQ(config.brokers.size(), 2u);
  const Broker& events = config.brokers[0];
  EXPECT_EQ(events.name, "events");
  EXPECT_EQ(events.type, "kafka");
  EXPECT_TRUE(kafka_of(events).embedded);
  EXPECT_EQ(kafka_of(events).bootstrap, "");
  ASSERT_EQ(kafka_of(events).options.size(), 3u);
  EXPECT_EQ(kafka_of(events).options[0].name, "linger.ms");
  EXPECT_EQ(kafka_of(events).options[0].value, "1");
  EXPECT_EQ(kafka_of(events).options[0].mark.line, 6);
  EXPECT_EQ(kafka_of(events).options[0].mark.column, 7);
  EXPECT_EQ(kafka_of(events).options[1].name, "enable.idempotence");
  EXPECT_EQ(kafka_of(events).options[1].value, "true");
  EXPECT_EQ(kafka_of(events).options[2].value, "lz4");
  const Broker& remote = config.brokers[1];
  EXPECT_FALSE(kafka_of(remote).embedded);
  EXPECT_EQ(remote.type, "kafka");
  EXPECT_EQ(kafka_of(remote).bootstrap, "k1:9092,k2:9093");
  EXPECT_TRUE(kafka_of(remote).options.empty());
  EXPECT_EQ(config.find_broker("remote"), &remote);
}

const std::string kHead =
    "listeners:\n"
    "  public: { protocol: http, listen: 0.0.0.0:8080 }\n"
    "brokers:\n"
    "  events: { bootstrap: embedded }\n"
    "routes:\n";

TEST(ConfigLoader, ReadsAnEventRoute) {
  const Config config = parse_config(kHead +
                                         "  - name: order-created\n"
                                         "    mode: event\n"
                                         "    from: { listener: public, method: post, path: \"/orders/{customer}/events\" }\n"
                                         "    to:   { broker: events, topic: orders.created, key: \"{customer}\" }\n"
                                         "    headers: [X-Tenant, x-request-id]\n",
                                     "c.yaml");
  ASSERT_EQ(config.routes.size(), 1u);
  const Route& route = config.routes[0];
  EXPECT_EQ(route.name, "order-created");
  EXPECT_EQ(route.mode, Mode::event);
  EXPECT_EQ(route.mark.line, 6);
  EXPECT_EQ(route.http_source()->listener, "public");
  EXPECT_EQ(route.http_source()->method, "POST");
  EXPECT_EQ(route.http_source()->path.text(), "/orders/{customer}/events");
  const TopicTarget& to = topic_target(route);
  EXPECT_EQ(to.broker, "events");
  EXPECT_EQ(to.topic.text(), "orders.created");
  ASSERT_TRUE(to.key.has_value());
  EXPECT_EQ(to.key->render({{"customer", "c-42"}}), "c-42");
  EXPECT_EQ(route.headers, (std::vector<std::string>{"x-tenant", "x-request-id"}));
  EXPECT_EQ(route.envelope, Envelope::none);
}

TEST(ConfigLoader, FillsRouteDefaults) {
  const Config config = parse_config(kHead +
                                         "  - name: plain\n"
                                         "    from: { listener: public, path: /plain }\n"
                                         "    to: { broker: events, topic: orders.created }\n",
                                     "c.yaml");
  const Route& route = config.routes.at(0);
  EXPECT_EQ(route.mode, Mode::event);
  EXPECT_EQ(route.http_source()->method, std::nullopt);
  EXPECT_EQ(topic_target(route).key, std::nullopt);
  EXPECT_TRUE(route.headers.empty());
  EXPECT_EQ(route.envelope, Envelope::none);
}

TEST(ConfigLoader, ReadsTopicTemplates) {
  const Config config = parse_config(kHead +
                                         "  - name: regional\n"
                                         "    from: { listener: public, path: \"/{region}/orders\" }\n"
                                         "    to: { broker: events, topic: \"orders.{region}\" }\n",
                                     "c.yaml");
  EXPECT_EQ(topic_target(config.routes.at(0)).topic.render({{"region", "eu"}}), "orders.eu");
}

TEST(ConfigLoader, ReadsADirectResponse) {
  const Config config = parse_config(kHead +
                                         "  - name: health\n"
                                         "    from: { listener: public, method: GET, path: /ping }\n"
                                         "    to: { status: 202, body: '{\"ok\":true}', content_type: text/plain }\n"
                                         "  - name: teapot\n"
                                         "    mode: direct_response\n"
                                         "    from: { listener: public, path: /tea }\n"
                                         "    to: { status: 418 }\n",
                                     "c.yaml");
  ASSERT_EQ(config.routes.size(), 2u);
  EXPECT_EQ(config.routes[0].mode, Mode::direct_response);
  const auto& response = std::get<DirectResponse>(config.routes[0].to);
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "{\"ok\":true}");
  EXPECT_EQ(response.content_type, "text/plain");
  const auto& teapot = std::get<DirectResponse>(config.routes[1].to);
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.body, "");
  EXPECT_EQ(teapot.content_type, "application/json");
}

TEST(ConfigLoader, CloudEventsDefaultToTheRouteName) {
  const Config config = parse_config(kHead +
                                         "  - name: a\n"
                                         "    from: { listener: public, path: /a }\n"
                                         "    to: { broker: events, topic: a }\n"
                                         "    envelope: cloudevents\n"
                                         "  - name: b\n"
                                         "    from: { listener: public, path: /b }\n"
                                         "    to: { broker: events, topic: b }\n"
                                         "    envelope: cloudevents\n"
                                         "    cloudevents: { type: com.example.b, source: /shop }\n",
                                     "c.yaml");
  EXPECT_EQ(config.routes[0].envelope, Envelope::cloudevents);
  EXPECT_EQ(config.routes[0].cloudevents.type, "a");
  EXPECT_EQ(config.routes[0].cloudevents.source, "/causeway/a");
  EXPECT_EQ(config.routes[1].cloudevents.type, "com.example.b");
  EXPECT_EQ(config.routes[1].cloudevents.source, "/shop");
}

TEST(ConfigLoader, AllowsRoutesThatDifferInMethodOrListener) {
  const Config config = parse_config(
      "listeners:\n"
      "  public: { protocol: http, listen: 0.0.0.0:8080 }\n"
      "  internal: { protocol: http, listen: 0.0.0.0:8081 }\n"
      "brokers:\n"
      "  events: { bootstrap: embedded }\n"
      "routes:\n"
      "  - { name: get, from: { listener: public, method: GET, path: '/x/{id}' }, to: { status: 200 } }\n"
      "  - { name: post, from: { listener: public, method: POST, path: '/x/{id}' }, to: { status: 201 } }\n"
      "  - { name: other, from: { listener: internal, method: GET, path: '/x/{id}' }, to: { status: 200 } }\n"
      "  - { name: literal, from: { listener: public, method: GET, path: /x/me }, to: { status: 200 } }\n",
      "c.yaml");
  EXPECT_EQ(config.routes.size(), 4u);
}

TEST(ConfigLoader, ToStringNamesEnums) {
  EXPECT_EQ(to_string(Protocol::http), "http");
  EXPECT_EQ(to_string(Protocol::grpc), "grpc");
  EXPECT_EQ(to_string(Mode::event), "event");
  EXPECT_EQ(to_string(Mode::direct_response), "direct_response");
}

TEST(ConfigLoader, LoadsAFile) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "causeway_config_loader_test.yaml";
  std::ofstream(file) << "drain_timeout: 3s\n";
  const Config config = load_config(file.string());
  std::filesystem::remove(file);
  EXPECT_EQ(config.file, file.string());
  EXPECT_EQ(config.drain_timeout, 3s);
}

TEST(ConfigLoader, ReportsAnUnreadableFile) {
  try {
    load_config("/nonexistent/causeway.yaml");
    FAIL() << "loaded";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(), "/nonexistent/causeway.yaml: cannot read file: No such file or directory");
    EXPECT_EQ(error.mark().line, 0);
  }
}

TEST(ConfigLoader, ReportsADirectory) {
  try {
    load_config(std::filesystem::temp_directory_path().string());
    FAIL() << "loaded";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.message(), "cannot read file: Is a directory");
  }
}

}  // namespace
}  // namespace causeway::config
