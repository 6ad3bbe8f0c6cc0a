// The callback: block of request-reply routes: what it reads and its defaults (its
// errors are in config_errors_test.cpp).
#include <gtest/gtest.h>

#include <cstdlib>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

using namespace std::chrono_literals;

// Lines 1-8; the callback block starts on line 9.
const std::string kHead =
    "listeners:\n"
    "  public: { protocol: http, listen: 0.0.0.0:8080 }\n"
    "brokers:\n"
    "  events: { bootstrap: embedded }\n"
    "routes:\n"
    "  - name: quote\n"
    "    from: { listener: public, method: POST, path: /quotes }\n"
    "    to: { broker: events, topic: q, reply: r, timeout: 5s }\n";

TEST(ConfigCallback, ReadsEverySetting) {
  const Config config = parse_config(kHead +
                                         "    callback:\n"
                                         "      header: X-Hook\n"
                                         "      allow: [\"http://127.0.0.1:9000/hooks/*\", \"https://*.example.com\"]\n"
                                         "      secret: [whsec_b2xk, whsec_bmV3]\n"
                                         "      retry: { attempts: 3, backoff: 2s, max_backoff: 1m }\n"
                                         "      timeout: 4s\n"
                                         "      dead_letter: q.callbacks.dlq\n",
                                     "c.yaml");
  const auto& callback = config.routes.at(0).callback.value();
  EXPECT_EQ(callback.header, "x-hook");
  ASSERT_EQ(callback.allow.size(), 2u);
  EXPECT_EQ(callback.allow[0].text, "http://127.0.0.1:9000/hooks/*");
  EXPECT_EQ(callback.allow[0].port, 9000);
  EXPECT_TRUE(callback.allow[1].any_subdomain);
  ASSERT_EQ(callback.secrets.size(), 2u);
  EXPECT_EQ(callback.secrets[1].value, "whsec_bmV3");
  EXPECT_EQ(callback.secrets[1].mark.line, 12);
  EXPECT_EQ(callback.retry.attempts, 3);
  EXPECT_EQ(callback.retry.backoff, 2s);
  EXPECT_EQ(callback.retry.max_backoff, 1min);
  EXPECT_EQ(callback.timeout, 4s);
  EXPECT_EQ(callback.dead_letter, "q.callbacks.dlq");
}

TEST(ConfigCallback, FillsDefaultsAndReadsTheSecretFromTheEnvironment) {
  ::setenv("CAUSEWAY_TEST_CALLBACK_SECRET", "whsec_ZW52", 1);
  const Config config = parse_config(kHead +
                                         "    callback:\n"
                                         "      allow: [\"http://127.0.0.1:9000/*\"]\n"
                                         "      secret: ${CAUSEWAY_TEST_CALLBACK_SECRET}\n",
                                     "c.yaml");
  const auto& callback = config.routes.at(0).callback.value();
  EXPECT_EQ(callback.header, "callback-url");
  ASSERT_EQ(callback.secrets.size(), 1u);
  EXPECT_EQ(callback.secrets[0].value, "whsec_ZW52");
  EXPECT_EQ(callback.retry.attempts, 8);
  EXPECT_EQ(callback.retry.backoff, 1s);
  EXPECT_EQ(callback.retry.max_backoff, 5min);
  EXPECT_EQ(callback.timeout, 10s);
  EXPECT_FALSE(callback.dead_letter);
  EXPECT_FALSE(parse_config(kHead, "c.yaml").routes.at(0).callback) << "no block, no callbacks";
}

}  // namespace
}  // namespace causeway::config
