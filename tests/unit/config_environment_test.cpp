// ${NAME} in config values: how a deployment passes addresses and secrets in.
#include <gtest/gtest.h>

#include "config_kafka_settings.h"

#include <cstdlib>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

class ConfigEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("CW_TEST_BOOTSTRAP", "k1:9092,k2:9092", 1);
    setenv("CW_TEST_SECRET", "hunter2", 1);
    unsetenv("CW_TEST_UNSET");
  }
};

TEST_F(ConfigEnvironment, ReferencesAreReplaced) {
  const Config config = parse_config(R"(
brokers:
  events:
    bootstrap: ${CW_TEST_BOOTSTRAP}
    options: { sasl.password: "${CW_TEST_SECRET}", client.rack: "${CW_TEST_UNSET:-rack-a}", client.id: "a$$b$c" }
drain_timeout: ${CW_TEST_UNSET:-3s}
)",
                                     "c.yaml");
  EXPECT_EQ(kafka_of(config.brokers[0]).bootstrap, "k1:9092,k2:9092");
  EXPECT_EQ(kafka_of(config.brokers[0]).options[0].value, "hunter2");
  EXPECT_EQ(kafka_of(config.brokers[0]).options[1].value, "rack-a");
  EXPECT_EQ(kafka_of(config.brokers[0]).options[2].value, "a$b$c");
  EXPECT_EQ(config.drain_timeout, std::chrono::seconds(3));
}

TEST_F(ConfigEnvironment, AnUnsetReferenceIsAnError) {
  try {
    parse_config("brokers:\n  events:\n    bootstrap: ${CW_TEST_UNSET}\n", "c.yaml");
    FAIL() << "parsed";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "c.yaml:3:16: brokers.events.bootstrap: environment variable CW_TEST_UNSET is not set (give a default "
                 "with ${CW_TEST_UNSET:-value})");
  }
  try {
    parse_config("drain_timeout: \"${CW_TEST_SECRET\"\n", "c.yaml");
    FAIL() << "parsed";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(), "c.yaml:1:16: drain_timeout: unclosed '${' (write '$$' for a literal '$')");
  }
}

}  // namespace
}  // namespace causeway::config
