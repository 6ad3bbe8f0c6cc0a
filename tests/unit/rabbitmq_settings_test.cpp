// type: rabbitmq broker entries: url, options and tls as RabbitSettings, the errors
// with file:line:col, what /config shows (the password redacted) and equality.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "config/broker_kinds.h"
#include "config/config_loader.h"
#include "kafka/kafka_settings.h"
#include "rabbitmq/rabbit_settings.h"

namespace causeway::rabbitmq {
namespace {

// Entries parse through the kinds registered for their type: Kafka's (the default type) and RabbitMQ's.
class BrokerKinds : public ::testing::Environment {
 public:
  void SetUp() override {
    config::register_broker_kind(kafka::kafka_kind());
    config::register_broker_kind(rabbit_kind());
  }
};
const auto* const kKinds = ::testing::AddGlobalTestEnvironment(new BrokerKinds);

config::Config parse(const std::string& entry) {
  return config::parse_config("brokers:\n  rabbit:\n    type: rabbitmq\n" + entry, "c.yaml");
}

const RabbitSettings& settings_of(const config::Config& config) {
  const RabbitSettings* settings = config.brokers.at(0).settings_as<RabbitSettings>();
  if (!settings) throw std::runtime_error("not RabbitMQ settings");
  return *settings;
}

std::string error_of(const std::string& entry) {
  try {
    parse(entry);
  } catch (const config::ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(RabbitSettings, DefaultsFillWhatTheUrlLeavesOut) {
  const config::Config config = parse("    url: amqp://10.1.2.3\n");
  const RabbitSettings& settings = settings_of(config);
  EXPECT_EQ(config.brokers[0].type, "rabbitmq");
  EXPECT_FALSE(settings.url.tls);
  EXPECT_EQ(settings.url.user, "guest");
  EXPECT_EQ(settings.url.password, "guest");
  EXPECT_EQ(settings.url.host, "10.1.2.3");
  EXPECT_EQ(settings.url.port, 5672);
  EXPECT_EQ(settings.url.vhost, "/");
  EXPECT_EQ(settings.options, RabbitOptions{});
  EXPECT_EQ(settings.options.heartbeat, std::chrono::seconds(30));
  EXPECT_EQ(settings.options.prefetch, 64);
  EXPECT_EQ(settings.options.queue_type, QueueType::classic);
  EXPECT_TRUE(settings.options.declare);
  EXPECT_EQ(settings.options.confirm_timeout, std::chrono::seconds(5));
  EXPECT_EQ(settings.options.connect_timeout, std::chrono::seconds(2));
  EXPECT_FALSE(settings.tls.has_value());
}

TEST(RabbitSettings, EveryOptionIsRead) {
  const RabbitSettings settings =
      settings_of(parse("    url: amqp://app:s3cret@rabbit.internal:5673/orders\n"
                        "    options: { heartbeat: 10s, prefetch: 8, queue_type: quorum, declare: false,"
                        " confirm_timeout: 750ms, connect_timeout: 1s }\n"));
  EXPECT_EQ(settings.url.user, "app");
  EXPECT_EQ(settings.url.password, "s3cret");
  EXPECT_EQ(settings.url.host, "rabbit.internal");
  EXPECT_EQ(settings.url.port, 5673);
  EXPECT_EQ(settings.url.vhost, "orders");
  EXPECT_EQ(settings.options.heartbeat, std::chrono::seconds(10));
  EXPECT_EQ(settings.options.prefetch, 8);
  EXPECT_EQ(settings.options.queue_type, QueueType::quorum);
  EXPECT_FALSE(settings.options.declare);
  EXPECT_EQ(settings.options.confirm_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(settings.options.connect_timeout, std::chrono::seconds(1));
}

TEST(RabbitSettings, AmqpsTurnsTlsOnWithItsOwnPortAndTheHostAsServerName) {
  const RabbitSettings settings = settings_of(parse("    url: amqps://rabbit.internal\n"));
  EXPECT_TRUE(settings.url.tls);
  EXPECT_EQ(settings.url.port, 5671);
  ASSERT_TRUE(settings.tls.has_value());
  EXPECT_TRUE(settings.tls->verify);
  EXPECT_FALSE(settings.tls->ca.has_value());
  EXPECT_EQ(settings.tls->server_name, "rabbit.internal");
}

TEST(RabbitSettings, TlsReadsFilesAndNames) {
  const RabbitSettings settings =
      settings_of(parse("    url: amqps://10.0.0.9:5671/%2f\n"
                        "    tls: { ca: ca.pem, cert: client.pem, key: client.key, server_name: rabbit.internal }\n"));
  ASSERT_TRUE(settings.tls.has_value());
  EXPECT_EQ(settings.tls->ca->path, "ca.pem");
  EXPECT_EQ(settings.tls->cert->path, "client.pem");
  EXPECT_EQ(settings.tls->key->path, "client.key");
  EXPECT_EQ(settings.tls->server_name, "rabbit.internal");
}

TEST(RabbitSettings, EnvironmentReferencesAreExpandedInTheUrl) {
  ::setenv("CAUSEWAY_TEST_RABBIT_PASSWORD", "from-env", 1);
  const RabbitSettings settings =
      settings_of(parse("    url: amqp://app:${CAUSEWAY_TEST_RABBIT_PASSWORD}@127.0.0.1:5672/%2f\n"));
  EXPECT_EQ(settings.url.password, "from-env");
}

struct BrokenEntry {
  std::string name;
  std::string entry;
  std::string error;
};

std::ostream& operator<<(std::ostream& out, const BrokenEntry& c) { return out << c.name; }

class RabbitSettingsErrors : public ::testing::TestWithParam<BrokenEntry> {};

TEST_P(RabbitSettingsErrors, SayWhereAndWhat) { EXPECT_EQ(error_of(GetParam().entry), GetParam().error); }

INSTANTIATE_TEST_SUITE_P(
    Cases, RabbitSettingsErrors,
    ::testing::Values(
        BrokenEntry{"missing_url", "    options: {}\n", "c.yaml:3:5: brokers.rabbit: missing required key 'url'"},
        BrokenEntry{"not_amqp", "    url: http://127.0.0.1:5672\n",
                    "c.yaml:4:10: brokers.rabbit.url: expected a URL like amqp://guest:guest@127.0.0.1:5672/%2f "
                    "(amqps:// for TLS)"},
        BrokenEntry{"bad_port", "    url: amqp://127.0.0.1:99999/\n",
                    "c.yaml:4:10: brokers.rabbit.url: expected a port from 1 to 65535"},
        BrokenEntry{"query", "    url: amqp://127.0.0.1/?heartbeat=5\n",
                    "c.yaml:4:10: brokers.rabbit.url: query parameters are not read: connection settings go under "
                    "options"},
        BrokenEntry{"slash_in_vhost", "    url: amqp://127.0.0.1/a/b\n",
                    "c.yaml:4:10: brokers.rabbit.url: a vhost with '/' in it is written %2f"},
        BrokenEntry{"unknown_key", "    url: amqp://127.0.0.1\n    bootstrap: k:9092\n",
                    "c.yaml:5:5: brokers.rabbit.bootstrap: unknown key (expected one of: type, headers, url, "
                    "options, tls)"},
        BrokenEntry{"unknown_option", "    url: amqp://127.0.0.1\n    options: { linger.ms: 1 }\n",
                    "c.yaml:5:16: brokers.rabbit.options.linger.ms: unknown key (expected one of: heartbeat, "
                    "prefetch, queue_type, declare, confirm_timeout, connect_timeout)"},
        BrokenEntry{"fractional_heartbeat", "    url: amqp://127.0.0.1\n    options: { heartbeat: 1500ms }\n",
                    "c.yaml:5:27: brokers.rabbit.options.heartbeat: expected whole seconds up to 65535s, or 0s for "
                    "none"},
        BrokenEntry{"zero_prefetch", "    url: amqp://127.0.0.1\n    options: { prefetch: 0 }\n",
                    "c.yaml:5:26: brokers.rabbit.options.prefetch: expected an integer from 1 to 65535"},
        BrokenEntry{"queue_type", "    url: amqp://127.0.0.1\n    options: { queue_type: stream }\n",
                    "c.yaml:5:28: brokers.rabbit.options.queue_type: expected one of: classic, quorum"},
        BrokenEntry{"zero_confirm_timeout", "    url: amqp://127.0.0.1\n    options: { confirm_timeout: 0s }\n",
                    "c.yaml:5:33: brokers.rabbit.options.confirm_timeout: expected a duration above 0"},
        BrokenEntry{"tls_without_amqps", "    url: amqp://127.0.0.1\n    tls: { ca: ca.pem }\n",
                    "c.yaml:5:5: brokers.rabbit.tls: needs an amqps:// url"},
        BrokenEntry{"tls_cert_without_key", "    url: amqps://127.0.0.1\n    tls: { cert: c.pem }\n",
                    "c.yaml:5:12: brokers.rabbit.tls.cert: a client certificate needs its key as well"}),
    [](const auto& info) { return info.param.name; });

TEST(RabbitSettings, DescribeRedactsThePassword) {
  const RabbitSettings settings =
      settings_of(parse("    url: amqps://app:s3cret@rabbit.internal/orders\n"
                        "    options: { prefetch: 8 }\n"
                        "    tls: { ca: ca.pem }\n"));
  const std::string shown = boost::json::serialize(settings.describe());
  EXPECT_EQ(shown.find("s3cret"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"url\":\"amqps://app:<redacted>@rabbit.internal:5671/orders\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"prefetch\":8"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"heartbeat\":\"30s\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"ca\":\"ca.pem\""), std::string::npos) << shown;
}

TEST(RabbitSettings, EqualWhenEveryValueIs) {
  const std::string entry = "    url: amqp://app:pw@h:5672/v\n    options: { prefetch: 8 }\n";
  const config::Config a = parse(entry);
  const config::Config b = parse(entry);
  EXPECT_TRUE(a.brokers[0] == b.brokers[0]);
  for (const std::string other : {"    url: amqp://app:other@h:5672/v\n    options: { prefetch: 8 }\n",
                                  "    url: amqp://app:pw@h:5672/w\n    options: { prefetch: 8 }\n",
                                  "    url: amqp://app:pw@h:5672/v\n    options: { prefetch: 9 }\n",
                                  "    url: amqp://app:pw@h:5672/v\n    options: { prefetch: 8, declare: false }\n"}) {
    EXPECT_FALSE(a.brokers[0] == parse(other).brokers[0]) << other;
  }
  const config::Config kafka = config::parse_config("brokers:\n  rabbit: { bootstrap: embedded }\n", "c.yaml");
  EXPECT_FALSE(a.brokers[0].settings->equals(*kafka.brokers[0].settings));
}

}  // namespace
}  // namespace causeway::rabbitmq
