// The callback: block of request-reply routes: what it reads, its defaults, and the
// errors that point at the setting.
#include <gtest/gtest.h>

#include <cstdlib>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

using namespace std::chrono_literals;

// Lines 1-8; a case's callback block starts on line 9.
const std::string kHead =
    "listeners:\n"
    "  public: { protocol: http, listen: 0.0.0.0:8080 }\n"
    "brokers:\n"
    "  events: { bootstrap: embedded }\n"
    "routes:\n"
    "  - name: quote\n"
    "    from: { listener: public, method: POST, path: /quotes }\n"
    "    to: { broker: events, topic: q, reply: r, timeout: 5s }\n";

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "c.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

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

TEST(ConfigCallback, AnAllowListIsRequired) {
  EXPECT_EQ(error_of(kHead + "    callback: { secret: whsec_a2V5 }\n"),
            "c.yaml:9:15: routes[0].callback: a callback needs 'allow': the URLs it may call (nothing else is called)");
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [], secret: whsec_a2V5 }\n"),
            "c.yaml:9:24: routes[0].callback.allow: expected at least one URL pattern");
}

TEST(ConfigCallback, AllowEntriesAreChecked) {
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [\"http://user@host/\"], secret: whsec_a2V5 }\n"),
            "c.yaml:9:25: routes[0].callback.allow[0]: a URL with user info ('@') is not accepted");
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [\"http://ho*st/\"], secret: whsec_a2V5 }\n"),
            "c.yaml:9:25: routes[0].callback.allow[0]: '*' may only open the host (*.example.com) or end the path "
            "(/hooks/*), and no query is taken");
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [example.com], secret: whsec_a2V5 }\n"),
            "c.yaml:9:25: routes[0].callback.allow[0]: expected scheme://host[:port][/path], like "
            "https://*.example.com/hooks/*");
}

TEST(ConfigCallback, ASecretIsAStandardWebhooksSecret) {
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [\"http://h/\"] }\n"),
            "c.yaml:9:15: routes[0].callback: a callback needs 'secret': whsec_<base64>, or a list of them during a "
            "rotation");
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [\"http://h/\"], secret: hunter2 }\n"),
            "c.yaml:9:47: routes[0].callback.secret: expected a Standard Webhooks secret, whsec_<base64 of the key>");
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [\"http://h/\"], secret: [] }\n"),
            "c.yaml:9:47: routes[0].callback.secret: expected at least one secret");
}

TEST(ConfigCallback, OnlyRequestReplyRoutesFromAnHttpListenerTakeOne) {
  const std::string event =
      "listeners:\n"
      "  public: { protocol: http, listen: 0.0.0.0:8080 }\n"
      "brokers:\n"
      "  events: { bootstrap: embedded }\n"
      "routes:\n"
      "  - name: e\n"
      "    from: { listener: public, path: /e }\n"
      "    to: { broker: events, topic: q }\n"
      "    callback: { allow: [\"http://h/\"], secret: whsec_a2V5 }\n";
  EXPECT_EQ(error_of(event),
            "c.yaml:9:5: routes[0].callback: 'callback' applies to request-reply routes from an HTTP listener");
}

TEST(ConfigCallback, UnknownKeysAreErrors) {
  EXPECT_EQ(error_of(kHead + "    callback: { allow: [\"http://h/\"], secret: whsec_a2V5, url: x }\n"),
            "c.yaml:9:59: routes[0].callback.url: unknown key (expected one of: header, allow, secret, retry, "
            "timeout, dead_letter)");
}

}  // namespace
}  // namespace causeway::config
