// Request-reply as a caller sees it: POST, the request lands on the topic, a peer
// answers on the reply topic, and the reply (or a precise error) is the response.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>
#include <set>

#include "harness_replies.h"

namespace causeway::testing {
namespace {

// Seconds since `start`, for messages.
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

TEST(RequestReply, ThousandConcurrentRequestsEachGetTheirOwnReply) {
  constexpr int kRequests = 1000;
  CausewayProcess causeway(ReplyConfig{}.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");

  auto wrong = post_echoed(causeway.listener(), "/quotes", kRequests, 16,
                           [](int i) { return "{\"quote\":" + std::to_string(i) + "}"; });
  ASSERT_TRUE(wrong.empty()) << wrong.size() << " wrong answers, first: " << wrong.front();

  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_matched_total", kRequests), kRequests);
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_orphaned_total"), 0);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_requests_total", kRequests, {{"route", "quote"}, {"code", "200"}}), kRequests);
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_pending"), 0);

  auto messages = TopicReader(causeway.broker(), "quotes.requests").read(kRequests, 30s);
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(kRequests)) << "missing or extra requests on the topic";
  std::set<std::string> ids, bodies;
  for (const auto& message : messages) {
    ids.insert(message.header("correlation-id").value_or(""));
    bodies.insert(message.value);
    EXPECT_EQ(message.header("reply-to"), "quotes.replies");
    EXPECT_EQ(message.header("reply-partition"), "0");
  }
  EXPECT_EQ(ids.size(), messages.size()) << "correlation ids are not unique";
  EXPECT_EQ(bodies.size(), messages.size()) << "a request was produced twice";
}

TEST(RequestReply, ContentTypeAndListedReplyHeadersArriveOthersDoNot) {
  ReplyConfig config;
  config.extra_routes = R"(  - name: plain
    from: { listener: public, method: POST, path: /plain }
    to: { broker: events, topic: plain.requests, reply: quotes.replies, timeout: 3s }
)";
  CausewayProcess causeway(config.yaml());
  EchoResponder quotes(causeway.broker(), "quotes.requests");
  EchoResponder plain(causeway.broker(), "plain.requests");

  // The responder copies the request's content-type and always adds x-echo: yes.
  auto listed = post_quote(causeway.listener(), "<q/>", {{"Content-Type", "application/vnd.quote+xml"}});
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.body, "<q/>");
  EXPECT_EQ(listed.header("content-type"), "application/vnd.quote+xml");
  EXPECT_EQ(listed.header("x-echo"), "yes") << "x-echo is in the route's headers";

  auto unlisted = http(causeway.listener(), "POST", "/plain", {{"Content-Type", "text/plain"}}, "hello");
  EXPECT_EQ(unlisted.status, 200) << unlisted.body;
  EXPECT_EQ(unlisted.body, "hello");
  EXPECT_EQ(unlisted.header("content-type"), "text/plain");
  EXPECT_FALSE(unlisted.header("x-echo")) << "the route lists no reply headers";
}

TEST(RequestReply, AReplyOnlyPassesTheHeadersTheRouteListsAndItsStatus) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  auto answer = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "ask"); });
  auto id = request_id(causeway.broker(), "quotes.requests", "ask");
  ASSERT_FALSE(id.empty()) << "the request is not on the topic";

  KafkaWriter(causeway.broker())
      .write("quotes.replies", 0, "made up",
             {{"correlation-id", id},
              {"status", "201"},
              {"content-type", "text/plain"},
              {"x-echo", "listed"},
              {"x-internal", "secret"}});
  auto response = answer.get();
  EXPECT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(response.body, "made up");
  EXPECT_EQ(response.header("content-type"), "text/plain");
  EXPECT_EQ(response.header("x-echo"), "listed");
  EXPECT_FALSE(response.header("x-internal")) << "a reply header the route does not list leaked";
  EXPECT_FALSE(response.header("status")) << "the status header is the status, not a header";
  EXPECT_FALSE(response.header("correlation-id"));
}

TEST(RequestReply, TheReplysStatusIsRelayed) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--status", "409"});
  auto response = post_quote(causeway.listener(), "{\"conflict\":true}");
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(response.body, "{\"conflict\":true}");
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_requests_total", 1, {{"route", "quote"}, {"code", "409"}}), 1);
}

TEST(RequestReply, AReplyWithAStatusThatIsNoHttpStatusIsA502) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  auto answer = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "ask"); });
  auto id = request_id(causeway.broker(), "quotes.requests", "ask");
  ASSERT_FALSE(id.empty()) << "the request is not on the topic";
  KafkaWriter(causeway.broker()).write("quotes.replies", 0, "body", {{"correlation-id", id}, {"status", "OK"}});
  auto response = answer.get();
  EXPECT_EQ(response.status, 502) << response.body;
  EXPECT_EQ(response.error(), "bad_gateway");
}

TEST(RequestReply, NoReplyIsA504AtTheRoutesTimeout) {
  ReplyConfig config;
  config.timeout = "2s";
  CausewayProcess causeway(config.yaml());

  auto sent = Clock::now();
  auto response = post_quote(causeway.listener(), "anyone?", {}, 10s);  // throws rather than hang
  auto waited = Clock::now() - sent;
  EXPECT_EQ(response.status, 504) << response.body;
  EXPECT_EQ(response.error(), "timeout");
  EXPECT_EQ(response.json().at("route"), boost::json::value("quote")) << response.body;
  EXPECT_GE(waited, 2s) << "answered before the route's timeout, after " << seconds_since(sent) << " s";
  EXPECT_LE(waited, 4s) << "answered " << seconds_since(sent) << " s after a 2 s timeout";

  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_reply_timeouts_total", 1, {{"route", "quote"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_pending"), 0);
  EXPECT_EQ(TopicReader(causeway.broker(), "quotes.requests").read(1, 10s).size(), 1u);
}

TEST(RequestReply, AReplyAfterTheTimeoutIsCountedOrphaned) {
  ReplyConfig config;
  config.timeout = "1s";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "1500"});

  auto response = post_quote(causeway.listener(), "late");
  EXPECT_EQ(response.status, 504) << response.body;
  EXPECT_EQ(response.error(), "timeout");
  ASSERT_TRUE(responder.wait_replied(1, 5s)) << responder.log();
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_orphaned_total", 1, {}, 5s), 1)
      << "the late reply was not counted orphaned";
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_matched_total"), 0);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_reply_timeouts_total", 1, {{"route", "quote"}}), 1);
}

TEST(RequestReply, ADuplicateReplyIsCountedOrphanedAndAnswersNobody) {
  constexpr int kRequests = 5;
  CausewayProcess causeway(ReplyConfig{}.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--twice"});

  for (int i = 0; i < kRequests; ++i) {
    auto body = "twice " + std::to_string(i);
    auto response = post_quote(causeway.listener(), body);
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.body, body);
  }
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_orphaned_total", kRequests, {}, 5s), kRequests);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_matched_total", kRequests), kRequests);
}

TEST(RequestReply, RepliesWithAnUnknownOrNoCorrelationIdAreCountedOrphaned) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  KafkaWriter writer(causeway.broker());

  writer.write("quotes.replies", 0, "for nobody", {{"correlation-id", "no-such-request"}});
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_orphaned_total", 1, {}, 5s), 1)
      << "a reply with an unknown id was not counted";
  writer.write("quotes.replies", 0, "no id at all", {{"content-type", "text/plain"}});
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_orphaned_total", 2, {}, 5s), 2)
      << "a reply without a correlation id was not counted";
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_matched_total"), 0);
}

TEST(RequestReply, OverMaxPendingIsA503OverloadedWithRetryAfter) {
  ReplyConfig config;
  config.replies = "{ max_pending: 2 }";
  config.timeout = "10s";
  CausewayProcess causeway(config.yaml());
  // The responder answers one request at a time, each after 1 s.
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "1000"});

  auto first = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "first"); });
  auto second = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "second"); });
  ASSERT_TRUE(eventually([&] { return metric(causeway.admin(), "causeway_replies_pending") == 2; }, 5s));

  auto sent = Clock::now();
  auto third = post_quote(causeway.listener(), "third");
  EXPECT_LT(Clock::now() - sent, 500ms) << "an overloaded request should not wait";
  EXPECT_EQ(third.status, 503) << third.body;
  EXPECT_EQ(third.error(), "overloaded");
  EXPECT_TRUE(third.header("retry-after")) << "503 without Retry-After";

  for (auto* answer : {&first, &second}) {
    auto response = answer->get();
    EXPECT_EQ(response.status, 200) << response.body;
  }
  EXPECT_EQ(TopicReader(causeway.broker(), "quotes.requests").read(2, 10s).size(), 2u)
      << "the overloaded request was produced";
}

TEST(RequestReply, SpringHeaderNamesAndAFourByteReplyPartition) {
  ReplyConfig config;
  config.wire_headers =
      "{ correlation_id: kafka_correlationId, reply_to: kafka_replyTopic, reply_partition: kafka_replyPartition, "
      "reply_partition_encoding: int32 }";
  config.reply_partition = "1";  // the embedded broker makes 4 partitions; 1 shows in the bytes
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--spring"});

  auto response = post_quote(causeway.listener(), "spring");
  EXPECT_EQ(response.status, 200) << response.body << "\nresponder:\n" << responder.log();
  EXPECT_EQ(response.body, "spring");

  auto requests = TopicReader(causeway.broker(), "quotes.requests").read(1, 10s);
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests.front();
  EXPECT_TRUE(request.header("kafka_correlationId"));
  EXPECT_EQ(request.header("kafka_replyTopic"), "quotes.replies");
  EXPECT_EQ(request.header("kafka_replyPartition"), std::string("\0\0\0\1", 4)) << "expected 4 bytes big-endian";
  for (const char* renamed : {"correlation-id", "reply-to", "reply-partition"}) {
    EXPECT_FALSE(request.header(renamed)) << renamed << " is sent under its Spring name only";
  }

  auto replies = TopicReader(causeway.broker(), "quotes.replies").read(1, 10s);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies.front().partition, 1);
  EXPECT_EQ(replies.front().header("kafka_correlationId"), request.header("kafka_correlationId"));
}

}  // namespace
}  // namespace causeway::testing
