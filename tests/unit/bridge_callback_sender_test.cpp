// The callback sender against fake ports: what it POSTs, how it retries, what it
// dead-letters, and what shutdown does to callbacks still pending; and the
// request-reply flow handing it callback requests.
#include <gtest/gtest.h>

#include "bridge/callback_sender.h"
#include "bridge/flow_metrics.h"
#include "bridge/reply_waiters.h"
#include "bridge/request_reply_flow.h"
#include "config/config_loader.h"
#include "bridge_fake_ports.h"
#include "metrics/registry.h"

namespace causeway::bridge {
namespace {

using namespace std::chrono_literals;
using testing::FakeProducer;
using testing::FakeTimers;

// Keeps every post until the test answers it.
class HoldingReceiver : public WebhookCaller {
 public:
  void post(WebhookPost post, std::function<void(WebhookResult)> done) override {
    std::lock_guard lock(mutex_);
    posts.push_back(std::move(post));
    pending.push_back(std::move(done));
  }
  void answer(int status, Headers headers = {}) {
    auto done = take();
    done(WebhookResult{Response{status, std::move(headers), ""}, {}, {}});
  }
  void fail(WebhookResult::Failure failure) {
    auto done = take();
    done(WebhookResult{std::nullopt, failure, "fake failure"});
  }
  std::vector<WebhookPost> posts;

 private:
  std::function<void(WebhookResult)> take() {
    std::lock_guard lock(mutex_);
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    return done;
  }
  std::mutex mutex_;
  std::vector<std::function<void(WebhookResult)>> pending;
};

std::string header(const WebhookPost& post, std::string_view name) {
  const std::string* value = find_header(post.headers, name);
  return value ? *value : std::string("(none)");
}

struct CallbackSenderTest : ::testing::Test {
  metrics::Registry registry;
  HoldingReceiver receiver;
  FakeTimers timers;
  std::shared_ptr<FakeProducer> producer = std::make_shared<FakeProducer>();
  std::shared_ptr<CallbackSender> sender = std::make_shared<CallbackSender>(
      receiver, timers, registry,
      [](const std::vector<std::string>& secrets, const std::string& id, std::int64_t timestamp, const std::string& body) {
        return "signed:" + secrets.at(0) + ":" + id + ":" + std::to_string(timestamp) + ":" + body;
      });

  std::shared_ptr<const CallbackRoute> route(std::optional<std::string> dead_letter = "cb.dlq", int attempts = 3) {
    config::Callback settings;
    settings.secrets = {config::CallbackSecret{"whsec_a2V5", {}, {}}};
    settings.retry = config::RetryPolicy{attempts, 100ms, 1000ms, {}};
    settings.timeout = 2s;
    settings.dead_letter = std::move(dead_letter);
    return std::make_shared<const CallbackRoute>(CallbackRoute{"quote", settings, producer});
  }
  policy::CallbackUrl url() { return std::get<policy::CallbackUrl>(policy::parse_callback_url("http://127.0.0.1:9000/hooks/a?x=1")); }
  // A callback request accepted and its reply come.
  CallbackSender::Ticket replied(std::shared_ptr<const CallbackRoute> with, Response reply = {200, {{"content-type", "application/json"}}, "{\"ok\":1}"}) {
    auto ticket = sender->open(std::move(with), url(), "id-1");
    sender->on_reply(ticket)(std::move(reply));
    return ticket;
  }
  std::uint64_t results(const std::string& result) {
    return registry.counter("causeway_callbacks_total", "", {"route", "result"}).with({"quote", result}).value();
  }
  std::uint64_t attempts(const std::string& code) {
    return registry.counter("causeway_callback_attempts_total", "", {"route", "code"}).with({"quote", code}).value();
  }
};

TEST_F(CallbackSenderTest, PostsTheReplySignedWithItsStatus) {
  replied(route(), Response{201, {{"content-type", "application/json"}, {"x-other", "1"}}, "{\"ok\":1}"});
  ASSERT_EQ(receiver.posts.size(), 1u);
  const auto& post = receiver.posts[0];
  EXPECT_EQ(post.url.target(), "/hooks/a?x=1");
  EXPECT_EQ(post.body, "{\"ok\":1}");
  EXPECT_EQ(post.timeout, 2s);
  EXPECT_EQ(header(post, "content-type"), "application/json");
  EXPECT_EQ(header(post, "reply-status"), "201");
  EXPECT_EQ(header(post, "webhook-id"), "id-1");
  const std::string timestamp = header(post, "webhook-timestamp");
  EXPECT_EQ(header(post, "webhook-signature"), "signed:whsec_a2V5:id-1:" + timestamp + ":{\"ok\":1}");
  EXPECT_EQ(sender->pending(), 1u);
  receiver.answer(204);
  EXPECT_EQ(sender->pending(), 0u);
  EXPECT_EQ(results("delivered"), 1u);
  EXPECT_EQ(attempts("204"), 1u);
  EXPECT_TRUE(producer->sent().empty());
}

TEST_F(CallbackSenderTest, RetriesServerErrorsWithBackoffThenSucceeds) {
  replied(route());
  receiver.answer(503);
  EXPECT_EQ(receiver.posts.size(), 1u) << "nothing before the backoff passed";
  ASSERT_EQ(timers.delays.size(), 1u);
  EXPECT_GE(timers.delays[0], 50ms);
  EXPECT_LE(timers.delays[0], 100ms);
  timers.run_all();
  ASSERT_EQ(receiver.posts.size(), 2u);
  receiver.fail(WebhookResult::Failure::timeout);
  timers.run_all();
  ASSERT_EQ(receiver.posts.size(), 3u);
  receiver.answer(200);
  EXPECT_EQ(results("delivered"), 1u);
  EXPECT_EQ(attempts("503"), 1u);
  EXPECT_EQ(attempts("timeout"), 1u);
  EXPECT_EQ(attempts("200"), 1u);
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackSenderTest, DeadLettersAfterTheLastAttempt) {
  replied(route("cb.dlq", 2), Response{504, {{"content-type", "application/json"}}, "{\"error\":\"timeout\"}"});
  receiver.answer(500);
  timers.run_all();
  receiver.fail(WebhookResult::Failure::connect);
  const auto sent = producer->sent();
  ASSERT_EQ(sent.size(), 1u);
  const auto& message = sent[0];
  EXPECT_EQ(message.topic, "cb.dlq");
  EXPECT_EQ(message.value, "{\"error\":\"timeout\"}");
  EXPECT_EQ(*find_header(message.headers, "dlt-attempts"), "2");
  EXPECT_EQ(*find_header(message.headers, "reply-status"), "504");
  EXPECT_EQ(*find_header(message.headers, "callback-url"), "http://127.0.0.1:9000/hooks/a?x=1");
  EXPECT_NE(find_header(message.headers, "dlt-error")->find("fake failure"), std::string::npos);
  EXPECT_EQ(results("dead_letter"), 1u);
  EXPECT_EQ(attempts("connect_error"), 1u);
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackSenderTest, ClientErrorsAndRedirectsAreDeadLetteredAtOnce) {
  replied(route());
  receiver.answer(400);
  replied(route());
  receiver.answer(302, {{"location", "http://elsewhere/"}});
  EXPECT_EQ(receiver.posts.size(), 2u) << "neither was sent again";
  EXPECT_TRUE(timers.delays.empty());
  EXPECT_EQ(producer->sent().size(), 2u);
  EXPECT_EQ(results("dead_letter"), 2u);
}

TEST_F(CallbackSenderTest, GoneIsDoneWithoutADeadLetter) {
  replied(route());
  receiver.answer(410);
  EXPECT_EQ(results("gone"), 1u);
  EXPECT_TRUE(producer->sent().empty());
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackSenderTest, WithoutADeadLetterTopicAFailureIsCountedAsFailed) {
  replied(route(std::nullopt));
  receiver.answer(404);
  EXPECT_EQ(results("failed"), 1u);
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackSenderTest, ADeadLetterNotStoredIsTriedAgain) {
  producer->outcome = DeliveryReport::Outcome::not_stored;
  replied(route());
  receiver.answer(400);
  EXPECT_EQ(sender->pending(), 1u);
  producer->outcome = DeliveryReport::Outcome::stored;
  timers.run_all();
  EXPECT_EQ(producer->sent().size(), 2u);
  EXPECT_EQ(results("dead_letter"), 1u);
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackSenderTest, ADroppedTicketSendsNothing) {
  auto ticket = sender->open(route(), url(), "id-1");
  auto notify = sender->on_reply(ticket);
  sender->drop(ticket);
  notify(Response{200, {}, "late"});
  EXPECT_TRUE(receiver.posts.empty());
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackSenderTest, ShutdownDeadLettersWhatWaitsForARetryOrAReply) {
  replied(route());
  receiver.answer(503);  // now in backoff
  auto waiting = sender->open(route(), url(), "id-2");  // no reply yet
  EXPECT_EQ(sender->pending(), 2u);
  sender->stop_retrying();
  EXPECT_EQ(producer->sent().size(), 1u) << "the one in backoff went to the dead letter topic";
  timers.run_all();
  EXPECT_EQ(receiver.posts.size(), 1u) << "its timer sent nothing more";
  sender->on_reply(waiting)(Response{503, {}, "draining"});
  EXPECT_EQ(receiver.posts.size(), 1u) << "a reply during shutdown is not sent";
  ASSERT_EQ(producer->sent().size(), 2u);
  EXPECT_EQ(*find_header(producer->sent()[1].headers, "dlt-attempts"), "0");
  EXPECT_TRUE(sender->wait_idle(std::chrono::steady_clock::now()));
  EXPECT_EQ(results("dead_letter"), 2u);
}

TEST_F(CallbackSenderTest, AnAttemptInFlightAtShutdownIsNotRetried) {
  replied(route());
  sender->stop_retrying();
  receiver.answer(500);
  EXPECT_TRUE(timers.delays.empty());
  EXPECT_EQ(producer->sent().size(), 1u);
  receiver.posts.clear();
}

TEST_F(CallbackSenderTest, ARefusedUrlIsCountedAsRejected) {
  sender->count_rejected("quote");
  EXPECT_EQ(results("rejected"), 1u);
}

// The request-reply flow with a callback block, on the same fakes.
struct CallbackFlowTest : CallbackSenderTest {
  config::Config config = config::parse_config(R"(
listeners:
  public: { protocol: http, listen: "127.0.0.1:0" }
brokers:
  events: { bootstrap: "127.0.0.1:9092" }
routes:
  - name: quote
    from: { listener: public, method: POST, path: /quotes }
    to: { broker: events, topic: quotes.requests, reply: quotes.replies, timeout: 5s }
    callback: { allow: ["http://127.0.0.1:9000/hooks/*"], secret: whsec_a2V5 }
)",
                                               "test.yaml");
  FlowMetrics flow_metrics{registry};
  ReplyWaiters waiters{ReplyLimits{}};
  RequestReplyFlow flow{config.routes[0], config.brokers[0], ReplyChannel{"quotes.replies", {}}, producer, waiters,
                        flow_metrics, sender.get()};

  // What the flow answered a POST with these headers.
  Response handle(Headers headers, std::string body = "{}") {
    auto got = std::make_shared<std::optional<Response>>();
    flow.handle(Request{"POST", "/quotes", "", std::move(headers), std::move(body)}, {},
                Responder([got](Response response) { *got = std::move(response); }));
    EXPECT_TRUE(got->has_value()) << "answered at once";
    return got->value_or(Response{0, {}, ""});
  }
};

TEST_F(CallbackFlowTest, AnAllowedUrlIs202AtOnceAndTheReplyIsPosted) {
  auto accepted = handle({{"callback-url", "http://127.0.0.1:9000/hooks/q"}});
  EXPECT_EQ(accepted.status, 202);
  ASSERT_EQ(producer->sent().size(), 1u);
  const std::string id = *find_header(producer->sent()[0].headers, "correlation-id");
  EXPECT_EQ(*find_header(accepted.headers, "location"), "/_causeway/replies/" + id);
  EXPECT_EQ(sender->pending(), 1u);
  EXPECT_TRUE(waiters.deliver(id, Response{200, {}, "quoted"}, std::chrono::steady_clock::now()));
  ASSERT_EQ(receiver.posts.size(), 1u);
  EXPECT_EQ(receiver.posts[0].body, "quoted");
  EXPECT_EQ(header(receiver.posts[0], "webhook-id"), id);
  receiver.answer(200);
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackFlowTest, ARefusedUrlIs400AndNothingIsProduced) {
  for (auto url : {"http://127.0.0.1:9001/hooks/q", "http://127.0.0.1:9000@169.254.169.254/hooks/q", "hooks"}) {
    auto refused = handle({{"callback-url", url}});
    EXPECT_EQ(refused.status, 400) << url;
    EXPECT_NE(refused.body.find("callback_refused"), std::string::npos) << refused.body;
  }
  EXPECT_TRUE(producer->sent().empty());
  EXPECT_EQ(sender->pending(), 0u);
  EXPECT_EQ(waiters.pending(), 0u);
  EXPECT_EQ(results("rejected"), 3u);
}

TEST_F(CallbackFlowTest, ARequestNotStoredIs503AndSchedulesNoCallback) {
  producer->outcome = DeliveryReport::Outcome::not_stored;
  EXPECT_EQ(handle({{"callback-url", "http://127.0.0.1:9000/hooks/q"}}).status, 503);
  EXPECT_EQ(sender->pending(), 0u);
}

TEST_F(CallbackFlowTest, AnIdempotencyKeyDuplicateJoinsTheFirstCallback) {
  const Headers headers{{"callback-url", "http://127.0.0.1:9000/hooks/q"}, {"idempotency-key", "k1"}};
  EXPECT_EQ(handle(headers).status, 202);
  EXPECT_EQ(handle(headers).status, 202);
  ASSERT_EQ(producer->sent().size(), 1u) << "the duplicate produced nothing";
  EXPECT_EQ(sender->pending(), 1u) << "and scheduled no second callback";
  const std::string id = *find_header(producer->sent()[0].headers, "correlation-id");
  waiters.deliver(id, Response{200, {}, "once"}, std::chrono::steady_clock::now());
  EXPECT_EQ(receiver.posts.size(), 1u);
}

}  // namespace
}  // namespace causeway::bridge
