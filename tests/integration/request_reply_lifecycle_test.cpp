// Request-reply around the edges of Causeway's life and its broker's: startup,
// an outage, and SIGTERM while callers still wait for their replies.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <future>

#include "harness_replies.h"

namespace causeway::testing {
namespace {

// A mock broker with the route's topics made in advance, as a real cluster has them.
std::unique_ptr<MockBroker> broker_with_topics() {
  auto broker = std::make_unique<MockBroker>();
  broker->create_topic("quotes.requests", 1);
  broker->create_topic("quotes.replies", 1);
  return broker;
}

ReplyConfig on(const MockBroker& broker) {
  ReplyConfig config;
  config.bootstrap = broker.bootstrap();
  config.broker_options = "{ linger.ms: 1, message.timeout.ms: 2000 }";
  return config;
}

double seconds(Clock::duration elapsed) { return std::chrono::duration<double>(elapsed).count(); }

TEST(RequestReplyStartup, AReplyPartitionTheTopicDoesNotHaveStopsStartup) {
  ReplyConfig config;
  config.reply_partition = "9";  // the embedded broker makes topics of 4 partitions
  TempDir dir;
  auto file = dir.write("causeway.yaml", config.yaml());

  auto result = run_command({CAUSEWAY_BIN, "--config", file.string()});
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.exit_code, 137) << "killed: still running after 20 s:\n" << result.output;
  EXPECT_NE(result.output.find("quotes.replies"), std::string::npos) << "the topic is not named:\n" << result.output;
  EXPECT_TRUE(std::regex_search(result.output, std::regex(R"(reply_partition\D*9\b|partition 9\b)")))
      << "the partition is not named:\n"
      << result.output;
  EXPECT_EQ(result.output.find(" info ready"), std::string::npos) << "it said ready:\n" << result.output;
}

TEST(RequestReplyStartup, TheFirstRequestRightAfterReadyGetsItsReply) {
  auto broker = broker_with_topics();
  // The responder is there first, so the reply can come before a lazily placed consumer would read.
  EchoResponder responder(broker->bootstrap(), "quotes.requests");
  CausewayProcess causeway(on(*broker).yaml());
  auto response = post_quote(causeway.listener(), "first");
  EXPECT_EQ(response.status, 200) << response.body << "\nlog:\n" << causeway.log();
  EXPECT_EQ(response.body, "first");
}

TEST(RequestReplyOutage, ABrokerDownBeforeTheRequestFailsItPromptlyAndRepliesFlowOnceItIsBack) {
  auto broker = broker_with_topics();
  auto config = on(*broker);
  config.timeout = "15s";  // far beyond message.timeout.ms: the answer must come from the failed produce
  CausewayProcess causeway(config.yaml());
  {
    EchoResponder responder(broker->bootstrap(), "quotes.requests");
    ASSERT_EQ(post_quote(causeway.listener(), "before").status, 200);
  }  // gone: its own reconnect backoff after the outage is not Causeway's

  broker->down();
  auto sent = Clock::now();
  auto failed = post_quote(causeway.listener(), "during", {}, 20s);
  auto waited = Clock::now() - sent;
  EXPECT_TRUE(failed.status == 503 || failed.status == 504) << failed.status << " " << failed.body;
  EXPECT_TRUE(failed.error() == "broker_unavailable" || failed.error() == "broker_timeout") << failed.body;
  EXPECT_LT(waited, 6s) << "took " << seconds(waited) << " s with message.timeout.ms 2 s";
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_pending"), 0) << "the failed request still waits";
  EXPECT_EQ(metric(causeway.admin(), "causeway_reply_timeouts_total", {{"route", "quote"}}), 0);

  // Back up and ready: the next request is produced and its reply read, by clients that reconnected.
  broker->up();
  ASSERT_TRUE(eventually([&] { return http(causeway.admin(), "GET", "/readyz").status == 200; }, 10s, 100ms));
  auto answer = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "after", {}, 20s); });
  auto id = request_id(broker->bootstrap(), "quotes.requests", "after");
  ASSERT_FALSE(id.empty()) << "the request after the outage is not on the topic; log:\n" << causeway.log();
  KafkaWriter(broker->bootstrap()).write("quotes.replies", 0, "answered", {{"correlation-id", id}});
  auto replied = Clock::now();
  auto after = answer.get();
  EXPECT_EQ(after.status, 200) << after.body << "\nlog:\n" << causeway.log();
  EXPECT_EQ(after.body, "answered");
  EXPECT_LT(Clock::now() - replied, 3s) << "the reply consumer was slow to come back";
}

TEST(RequestReplyOutage, ARequestWaitingWhenTheBrokerGoesDownTimesOutOnTime) {
  auto broker = broker_with_topics();
  auto config = on(*broker);
  config.timeout = "3s";
  CausewayProcess causeway(config.yaml());

  auto sent = Clock::now();
  auto answer = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "stranded", {}, 20s); });
  ASSERT_EQ(TopicReader(broker->bootstrap(), "quotes.requests").read(1, 3s).size(), 1u) << "the request was not produced";
  broker->down();

  auto response = answer.get();
  auto waited = Clock::now() - sent;
  EXPECT_EQ(response.status, 504) << response.body;
  EXPECT_EQ(response.error(), "timeout");
  EXPECT_GE(waited, 3s);
  EXPECT_LE(waited, 5s) << "answered " << seconds(waited) << " s after a request with a 3 s timeout";
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_reply_timeouts_total", 1, {{"route", "quote"}}), 1);
}

// Two callers wait for replies the responder gives slowly, one after the other.
struct WaitingCallers {
  std::future<HttpResponse> first, second;
  WaitingCallers(CausewayProcess& causeway) {
    auto post = [&causeway](std::string body) { return post_quote(causeway.listener(), body, {}, 20s); };
    first = std::async(std::launch::async, post, "one");
    second = std::async(std::launch::async, post, "two");
    if (!eventually([&] { return metric(causeway.admin(), "causeway_replies_pending") == 2; }, 5s)) {
      throw std::runtime_error("the two requests are not pending");
    }
  }
};

TEST(RequestReplyShutdown, SigtermLetsWaitingCallersGetTheirReplies) {
  ReplyConfig config;
  config.timeout = "10s";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "1500"});
  WaitingCallers callers(causeway);

  causeway.signal(SIGTERM);
  auto one = callers.first.get(), two = callers.second.get();
  EXPECT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.body, "one");
  EXPECT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(two.body, "two");
  EXPECT_EQ(causeway.wait_exit(10s), 0) << causeway.log();
}

TEST(RequestReplyShutdown, CallersStillWaitingAtTheDrainDeadlineGet503Draining) {
  ReplyConfig config;
  config.timeout = "10s";
  config.drain_timeout = "1s";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "5000"});
  WaitingCallers callers(causeway);

  auto signalled = Clock::now();
  causeway.signal(SIGTERM);
  for (auto* answer : {&callers.first, &callers.second}) {
    auto response = answer->get();
    EXPECT_EQ(response.status, 503) << response.body;
    EXPECT_EQ(response.error(), "draining");
    EXPECT_TRUE(response.header("retry-after"));
  }
  EXPECT_LT(Clock::now() - signalled, 3s) << "answered long after the 1 s drain timeout";
  EXPECT_EQ(causeway.wait_exit(5s), 0) << causeway.log();
}

}  // namespace
}  // namespace causeway::testing
