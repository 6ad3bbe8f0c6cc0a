// Reply callbacks end to end: the causeway binary, a broker, the echo responder, and
// plain HTTP receivers on loopback that verify the Standard Webhooks signature with an
// HMAC computed here, fail, refuse, redirect or hang.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>

#include <boost/json.hpp>
#include <ctime>
#include <sstream>

#include "harness_replies.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

// whsec_ + base64 of the key; the second stands for a key being rotated in.
const std::string kKey = "callback test key";
const std::string kSecret = "whsec_Y2FsbGJhY2sgdGVzdCBrZXk=";
const std::string kNewKey = "the next key";
const std::string kNewSecret = "whsec_dGhlIG5leHQga2V5";

std::string expected_signature(const std::string& key, const std::string& id, const std::string& timestamp,
                               const std::string& body) {
  const std::string content = id + "." + timestamp + "." + body;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), digest, &length);
  std::string encoded(4 * ((length + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), digest, static_cast<int>(length));
  return "v1," + encoded;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// A quote route with a callback block allowing `allow`.
ReplyConfig callback_config(const std::string& allow, const std::string& more = "",
                            const std::string& retry = "{ attempts: 3, backoff: 100ms, max_backoff: 1s }") {
  ReplyConfig config;
  config.route_extra = "    callback:\n"
                       "      allow: [\"" + allow + "\"]\n"
                       "      secret: [" + kSecret + ", " + kNewSecret + "]\n"
                       "      retry: " + retry + "\n"
                       "      dead_letter: quotes.callbacks.dlq\n" + more;
  return config;
}

std::string hook_url(const ScriptedService& receiver, const std::string& path = "/hooks/quote") {
  return receiver.url() + path;
}

HttpResponse post_with_callback(const CausewayProcess& causeway, const std::string& url, const std::string& body,
                                Headers headers = {}) {
  headers.push_back({"Callback-Url", url});
  headers.push_back({"Content-Type", "application/json"});
  return post_quote(causeway.listener(), body, headers);
}

// The id of an accepted callback request; fails the test unless it was 202 with a Location.
std::string accepted_id(const HttpResponse& response) {
  EXPECT_EQ(response.status, 202) << response.body;
  if (response.status != 202) return "";
  const std::string id(response.json().at("id").as_string());
  EXPECT_EQ(response.header("location"), "/_causeway/replies/" + id);
  return id;
}

TEST(Callback, TheReplyIsPostedSignedWithEverySecretAndStaysPollable) {
  ScriptedService receiver;
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*").yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");

  auto accepted = post_with_callback(causeway, hook_url(receiver) + "?order=7", R"({"quote":1})");
  const std::string id = accepted_id(accepted);
  ASSERT_TRUE(receiver.wait_requests(1, 15s)) << causeway.log();
  const auto hook = receiver.requests().at(0);
  EXPECT_EQ(hook.method, "POST");
  EXPECT_EQ(hook.target, "/hooks/quote?order=7");
  EXPECT_EQ(hook.body, R"({"quote":1})");
  EXPECT_EQ(hook.header("content-type"), "application/json");
  EXPECT_EQ(hook.header("reply-status"), "200");
  EXPECT_EQ(hook.header("webhook-id"), id);
  const std::string timestamp = hook.header("webhook-timestamp").value_or("");
  const auto sent_at = std::stoll(timestamp);
  EXPECT_LE(std::llabs(sent_at - static_cast<long long>(std::time(nullptr))), 300) << "a current unix time";
  const auto signatures = words(hook.header("webhook-signature").value_or(""));
  ASSERT_EQ(signatures.size(), 2u) << "one per secret";
  EXPECT_EQ(signatures[0], expected_signature(kKey, id, timestamp, hook.body));
  EXPECT_EQ(signatures[1], expected_signature(kNewKey, id, timestamp, hook.body));

  auto polled = http(causeway.listener(), "GET", "/_causeway/replies/" + id);
  EXPECT_EQ(polled.status, 200) << polled.body;
  EXPECT_EQ(polled.body, R"({"quote":1})");
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "delivered"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_callback_attempts_total", {{"route", "quote"}, {"code", "200"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_callback_duration_seconds_count", {{"route", "quote"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_callbacks_pending"), 0);
  auto config = http(causeway.admin(), "GET", "/config");
  EXPECT_EQ(config.body.find("whsec_"), std::string::npos) << "secrets are redacted on /config";
}

TEST(Callback, AUrlOutsideTheAllowListIs400AndNothingIsProduced) {
  ScriptedService receiver;
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*").yaml());
  const std::string port = std::to_string(receiver.port());
  const std::vector<std::string> hostile{
      "http://127.0.0.1:" + std::to_string(receiver.port() + 1) + "/hooks/x",  // another port
      "http://127.0.0.1:" + port + "@169.254.169.254/hooks/x",                 // userinfo trick
      "http://169.254.169.254/latest/meta-data/",                              // cloud metadata
      "http://[::ffff:127.0.0.1]:" + port + "/hooks/x",                        // the address, as IPv6
      "http://2130706433:" + port + "/hooks/x",                                // the address, as a number
      "http://127.0.0.1:" + port + "/hooks/../admin",                          // out of the prefix
      "https://127.0.0.1:" + port + "/hooks/x",                                // another scheme
      "http://localhost:" + port + "/hooks/x",                                 // a name is not its address
      "not a url",
  };
  for (const auto& url : hostile) {
    auto refused = post_with_callback(causeway, url, "{}");
    EXPECT_EQ(refused.status, 400) << url << ": " << refused.body;
    EXPECT_EQ(refused.error(), "callback_refused") << url;
  }
  EXPECT_EQ(metric(causeway.admin(), "causeway_callbacks_total", {{"route", "quote"}, {"result", "rejected"}}),
            hostile.size());
  EXPECT_EQ(metric(causeway.admin(), "causeway_produced_total"), 0) << "nothing was produced";
  EXPECT_EQ(receiver.request_count(), 0u);
}

TEST(Callback, ARouteWithoutACallbackBlockRefusesCallbackRequests) {
  ScriptedService receiver;
  CausewayProcess causeway(ReplyConfig{}.yaml());
  auto refused = post_with_callback(causeway, hook_url(receiver), "{}");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.error(), "callback_refused");
}

TEST(Callback, AFailingReceiverIsRetriedAndRetryAfterIsHonoured) {
  ScriptedService receiver([](const ServiceRequest& request) {
    if (request.index == 0) return ServiceAnswer{.status = 503};
    if (request.index == 1) return ServiceAnswer{.status = 429, .headers = {{"Retry-After", "1"}}};
    return ServiceAnswer{.status = 204};
  });
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*").yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");
  const std::string id = accepted_id(post_with_callback(causeway, hook_url(receiver), "retry me"));
  ASSERT_TRUE(receiver.wait_requests(3, 20s)) << causeway.log();
  const auto hooks = receiver.requests();
  for (const auto& hook : hooks) {
    EXPECT_EQ(hook.header("webhook-id"), id) << "every attempt is the same message";
    EXPECT_EQ(hook.body, "retry me");
  }
  EXPECT_GE(hooks[2].arrived - hooks[1].finished, 900ms) << "Retry-After: 1 was waited for";
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "delivered"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_callback_attempts_total", {{"route", "quote"}, {"code", "503"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_callback_attempts_total", {{"route", "quote"}, {"code", "429"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_callback_attempts_total", {{"route", "quote"}, {"code", "204"}}), 1);
}

// The one dead letter of the test, once it is on the topic.
KafkaMessage dead_letter(const CausewayProcess& causeway) {
  auto letters = TopicReader(causeway.broker(), "quotes.callbacks.dlq").read(1, 15s);
  EXPECT_EQ(letters.size(), 1u) << causeway.log();
  return letters.empty() ? KafkaMessage{} : letters.front();
}

TEST(Callback, A400IsDeadLetteredAtOnceWithWhatHappened) {
  ScriptedService receiver([](const ServiceRequest&) { return ServiceAnswer{.status = 400, .body = "no"}; });
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*").yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");
  const std::string id = accepted_id(post_with_callback(causeway, hook_url(receiver), "refused body"));
  auto letter = dead_letter(causeway);
  EXPECT_EQ(letter.key, id);
  EXPECT_EQ(letter.value, "refused body");
  EXPECT_EQ(letter.header("callback-url"), hook_url(receiver));
  EXPECT_EQ(letter.header("callback-id"), id);
  EXPECT_EQ(letter.header("reply-status"), "200");
  EXPECT_EQ(letter.header("dlt-attempts"), "1");
  EXPECT_EQ(letter.header("dlt-error"), "400 from the receiver");
  EXPECT_EQ(receiver.request_count(), 1u) << "a 4xx is not sent again";
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "dead_letter"}}), 1);
}

TEST(Callback, A410EndsItAndIsCounted) {
  ScriptedService receiver([](const ServiceRequest&) { return ServiceAnswer{.status = 410}; });
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*").yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");
  accepted_id(post_with_callback(causeway, hook_url(receiver), "gone"));
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "gone"}}, 15s), 1);
  EXPECT_EQ(receiver.request_count(), 1u);
  EXPECT_EQ(metric(causeway.admin(), "causeway_callbacks_total", {{"route", "quote"}, {"result", "dead_letter"}}), 0);
}

TEST(Callback, ARedirectIsNotFollowed) {
  ScriptedService elsewhere;
  ScriptedService receiver([&](const ServiceRequest&) {
    return ServiceAnswer{.status = 307, .headers = {{"Location", elsewhere.url() + "/hooks/quote"}}};
  });
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*").yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");
  accepted_id(post_with_callback(causeway, hook_url(receiver), "moved"));
  auto letter = dead_letter(causeway);
  EXPECT_NE(letter.header("dlt-error").value_or("").find("not followed"), std::string::npos);
  EXPECT_EQ(receiver.request_count(), 1u);
  EXPECT_EQ(elsewhere.request_count(), 0u) << "the redirect was followed";
}

TEST(Callback, AHangingReceiverTimesOutEachAttemptThenIsDeadLettered) {
  ScriptedService receiver([](const ServiceRequest&) { return ServiceAnswer{.status = 200, .delay = 5s}; });
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*", "      timeout: 300ms\n",
                                           "{ attempts: 2, backoff: 100ms, max_backoff: 200ms }")
                               .yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");
  accepted_id(post_with_callback(causeway, hook_url(receiver), "slow"));
  auto letter = dead_letter(causeway);
  EXPECT_EQ(letter.header("dlt-attempts"), "2");
  EXPECT_EQ(metric(causeway.admin(), "causeway_callback_attempts_total", {{"route", "quote"}, {"code", "timeout"}}), 2);
}

TEST(Callback, NoReplyBeforeTheTimeoutPostsThe504) {
  ScriptedService receiver;
  auto config = callback_config(receiver.url() + "/hooks/*");
  config.timeout = "500ms";
  CausewayProcess causeway(config.yaml());  // no responder: no reply ever comes
  const std::string id = accepted_id(post_with_callback(causeway, hook_url(receiver), "unanswered"));
  ASSERT_TRUE(receiver.wait_requests(1, 15s)) << causeway.log();
  const auto hook = receiver.requests().at(0);
  EXPECT_EQ(hook.header("reply-status"), "504");
  EXPECT_EQ(hook.header("webhook-id"), id);
  EXPECT_EQ(boost::json::parse(hook.body).at("error"), "timeout") << hook.body;
  auto polled = http(causeway.listener(), "GET", "/_causeway/replies/" + id);
  EXPECT_EQ(polled.status, 504) << "the Location says the same";
}

TEST(Callback, AnIdempotencyKeyDuplicateJoinsTheSameCallback) {
  ScriptedService receiver;
  CausewayProcess causeway(callback_config(receiver.url() + "/hooks/*").yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "1000"});
  const Headers key{{"Idempotency-Key", "order-42"}};
  const std::string first = accepted_id(post_with_callback(causeway, hook_url(receiver), "once", key));
  const std::string second = accepted_id(post_with_callback(causeway, hook_url(receiver), "once", key));
  EXPECT_EQ(first, second);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_total", 1, {{"route", "quote"}, {"result", "delivered"}}, 15s), 1);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_callbacks_pending", 0, {}), 0);
  EXPECT_EQ(receiver.request_count(), 1u) << "one callback for both";
  EXPECT_EQ(responder.replied(), 1u) << "one request produced";
}

// SIGTERM: a callback whose reply comes during the drain is still delivered; one that
// keeps failing is dead-lettered when drain_timeout passes, and the process exits 0.
// The broker runs in a process of its own so that the dead letter can be read after.
TEST(Callback, SigtermDrainsPendingCallbacksAndDeadLettersWhatIsLeft) {
  MockBroker broker;
  ScriptedService receiver([&](const ServiceRequest& request) {
    return ServiceAnswer{.status = request.body == "flaky" ? 503 : 200};
  });
  auto config = callback_config(receiver.url() + "/hooks/*", "", "{ attempts: 8, backoff: 30s, max_backoff: 1m }");
  config.bootstrap = broker.bootstrap();
  config.drain_timeout = "3s";
  config.timeout = "10s";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(broker.bootstrap(), "quotes.requests", {"--delay-ms", "1000"});

  accepted_id(post_with_callback(causeway, hook_url(receiver), "flaky"));
  ASSERT_TRUE(receiver.wait_requests(1, 15s)) << causeway.log();  // failed once; its retry is 15 s away
  const std::string late = accepted_id(post_with_callback(causeway, hook_url(receiver), "late reply"));
  causeway.signal(SIGTERM);
  auto exited = causeway.wait_exit(20s);
  ASSERT_TRUE(exited) << causeway.log();
  EXPECT_EQ(*exited, 0) << causeway.log();

  auto hooks = receiver.requests();
  ASSERT_EQ(hooks.size(), 2u) << causeway.log();
  EXPECT_EQ(hooks[1].body, "late reply") << "the reply that came during the drain was delivered";
  EXPECT_EQ(hooks[1].header("webhook-id"), late);
  auto letters = TopicReader(broker.bootstrap(), "quotes.callbacks.dlq").read(1, 15s);
  ASSERT_EQ(letters.size(), 1u) << causeway.log();
  EXPECT_EQ(letters[0].value, "flaky");
  EXPECT_NE(letters[0].header("dlt-error").value_or("").find("shut down"), std::string::npos)
      << letters[0].header("dlt-error").value_or("");
}

}  // namespace
}  // namespace causeway::testing
