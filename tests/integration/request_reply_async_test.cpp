// Request-reply without holding the connection: Prefer: respond-async and the
// Location to poll, and Idempotency-Key joins and replays.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>

#include "harness_replies.h"

namespace causeway::testing {
namespace {

const Headers kRespondAsync{{"Prefer", "respond-async"}};

// POSTs with respond-async and returns the Location, which must come with a 202.
std::string post_async(const CausewayProcess& causeway, const std::string& body) {
  auto accepted = post_quote(causeway.listener(), body, kRespondAsync);
  if (accepted.status != 202 || !accepted.header("location")) {
    throw std::runtime_error("respond-async gave " + std::to_string(accepted.status) + " " + accepted.body);
  }
  return *accepted.header("location");
}

HttpResponse get(const CausewayProcess& causeway, const std::string& location, const Headers& headers = {}) {
  return http(causeway.listener(), "GET", location, headers, {}, 15s);
}

// Polls the Location until it stops answering 202 (pending); the last answer.
HttpResponse poll_until_settled(const CausewayProcess& causeway, const std::string& location, Duration timeout) {
  HttpResponse last;
  eventually([&] { return (last = get(causeway, location)).status != 202; }, timeout, 50ms);
  return last;
}

TEST(RequestReplyAsync, RespondAsyncGives202AndLocationAndTheReplyIsThere) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");

  auto accepted = post_quote(causeway.listener(), "{\"async\":1}", kRespondAsync);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  auto location = accepted.header("location").value_or("");
  auto id = std::string(accepted.json().at("id").as_string());
  EXPECT_EQ(location, "/_causeway/replies/" + id);

  auto reply = poll_until_settled(causeway, location, 5s);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, "{\"async\":1}");
  EXPECT_EQ(get(causeway, location).body, "{\"async\":1}") << "the reply is kept for a second GET";

  auto requests = TopicReader(causeway.broker(), "quotes.requests").read(1, 10s);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests.front().header("correlation-id"), id) << "the Location names the request's correlation id";
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_matched_total", 1), 1);
}

TEST(RequestReplyAsync, PendingWithoutWaitAndALongPollReturnsAsTheReplyComes) {
  ReplyConfig config;
  config.timeout = "10s";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "1500"});

  auto location = post_async(causeway, "slow");
  auto pending = get(causeway, location);
  EXPECT_EQ(pending.status, 202) << pending.body;
  EXPECT_EQ(pending.json().at("status"), boost::json::value("pending")) << pending.body;
  EXPECT_EQ(location, "/_causeway/replies/" + std::string(pending.json().at("id").as_string()));

  auto asked = Clock::now();
  auto reply = get(causeway, location, {{"Prefer", "wait=5"}});
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, "slow");
  EXPECT_LT(Clock::now() - asked, 3500ms) << "the long poll did not return as the reply came (1.5 s)";
}

TEST(RequestReplyAsync, AnUnknownIdIs404) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  auto response = get(causeway, "/_causeway/replies/no-such-id");
  EXPECT_EQ(response.status, 404) << response.body;
  EXPECT_EQ(response.error(), "not_found");
}

TEST(RequestReplyAsync, AKeptReplyIs404OnceExpired) {
  ReplyConfig config;
  config.replies = "{ keep: 1s }";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");

  auto location = post_async(causeway, "short-lived");
  auto reply = poll_until_settled(causeway, location, 5s);
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto expiring = Clock::now();
  HttpResponse gone;
  EXPECT_TRUE(eventually([&] { return (gone = get(causeway, location)).status == 404; }, 4s))
      << "still " << gone.status << " " << gone.body << " 4 s into a 1 s keep";
  EXPECT_GE(Clock::now() - expiring, 500ms) << "forgotten well before keep: 1s";
  EXPECT_EQ(gone.error(), "not_found");
}

TEST(RequestReplyAsync, KeptRepliesBeyondMaxKeptGoOldestFirst) {
  ReplyConfig config;
  // Room for one of the 500-byte replies (about 800 bytes with its record), not two.
  config.replies = "{ max_kept: 1KiB }";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");

  const std::string older(500, 'o'), newer(500, 'n');
  auto older_location = post_async(causeway, older);
  ASSERT_EQ(poll_until_settled(causeway, older_location, 5s).body, older);
  auto newer_location = post_async(causeway, newer);
  ASSERT_EQ(poll_until_settled(causeway, newer_location, 5s).body, newer);

  EXPECT_EQ(get(causeway, older_location).status, 404) << "the oldest kept reply should have made room";
  EXPECT_EQ(get(causeway, newer_location).body, newer);
}

TEST(RequestReplyAsync, TheReplyToAPlainRequestIsNotKeptForOthersToRead) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");
  ASSERT_EQ(post_quote(causeway.listener(), "private").body, "private");

  auto id = request_id(causeway.broker(), "quotes.requests", "private");
  ASSERT_FALSE(id.empty());
  auto response = get(causeway, "/_causeway/replies/" + id);
  EXPECT_EQ(response.status, 404) << "a synchronous caller's reply can be read by id: " << response.body;
}

TEST(RequestReplyAsync, AnAsyncRequestThatTimesOutGives504OnItsLocation) {
  ReplyConfig config;
  config.timeout = "1s";
  CausewayProcess causeway(config.yaml());

  auto location = post_async(causeway, "nobody answers");
  auto asked = Clock::now();
  auto response = get(causeway, location, {{"Prefer", "wait=5"}});
  EXPECT_EQ(response.status, 504) << response.body;
  EXPECT_EQ(response.error(), "timeout");
  EXPECT_LT(Clock::now() - asked, 3s) << "the long poll outlived the request's 1 s timeout";
  EXPECT_EQ(get(causeway, location).status, 504) << "the timeout is what the Location says afterwards too";
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_reply_timeouts_total", 1, {{"route", "quote"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_pending"), 0);
}

TEST(RequestReplyAsync, AnAsyncRequestOverMaxPendingIs503Overloaded) {
  ReplyConfig config;
  config.replies = "{ max_pending: 1 }";
  CausewayProcess causeway(config.yaml());  // no responder: the first request stays pending
  post_async(causeway, "holds the only slot");
  ASSERT_EQ(metric(causeway.admin(), "causeway_replies_pending"), 1);

  HttpConnection connection(causeway.listener());
  connection.send(HttpRequest{.method = "POST", .path = "/quotes", .headers = kRespondAsync, .body = "one too many"});
  auto response = connection.read_response(5s);
  ASSERT_TRUE(response) << "no answer within 5 s to an async request over max_pending";
  EXPECT_EQ(response->status, 503) << response->body;
  EXPECT_EQ(response->error(), "overloaded");
  EXPECT_TRUE(response->header("retry-after"));
  EXPECT_FALSE(response->header("location")) << "a Location for a request that was never made";
}

TEST(RequestReplyIdempotency, TheSameKeyJoinsThePendingRequestAndLaterGetsItReplayed) {
  ReplyConfig config;
  config.timeout = "10s";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "1000"});
  const Headers key{{"Idempotency-Key", "order-42"}};

  auto first = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "first", key); });
  ASSERT_TRUE(eventually([&] { return metric(causeway.admin(), "causeway_replies_pending") == 1; }, 5s));
  // A retry is the same request again (same method, path and body).
  auto retry = post_quote(causeway.listener(), "first", key);
  auto original = first.get();
  EXPECT_EQ(original.status, 200) << original.body;
  EXPECT_EQ(original.body, "first");
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.body, "first") << "the retry joined the pending request, so it gets that reply";

  auto replayed_at = Clock::now();
  auto replay = post_quote(causeway.listener(), "first", key);
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.body, "first");
  EXPECT_LT(Clock::now() - replayed_at, 500ms) << "a kept reply is replayed at once";

  auto requests = TopicReader(causeway.broker(), "quotes.requests").read(1, 10s);
  EXPECT_EQ(requests.size(), 1u) << "one key, one message";
  EXPECT_EQ(responder.replied(), 1u);
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_matched_total", 1), 1);
}

// IETF Idempotency-Key draft: a key reused with another request is 422; it neither joins
// nor replays what the key's first request was answered.
TEST(RequestReplyIdempotency, AKeyReusedForAnotherRequestIs422) {
  ReplyConfig config;
  config.timeout = "10s";
  CausewayProcess causeway(config.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests", {"--delay-ms", "1000"});
  const Headers key{{"Idempotency-Key", "order-43"}};

  auto first = std::async(std::launch::async, [&] { return post_quote(causeway.listener(), "first", key); });
  ASSERT_TRUE(eventually([&] { return metric(causeway.admin(), "causeway_replies_pending") == 1; }, 5s));
  auto while_pending = post_quote(causeway.listener(), "other", key);
  EXPECT_EQ(while_pending.status, 422) << while_pending.body;
  EXPECT_EQ(while_pending.error(), "idempotency_key_reused");
  EXPECT_EQ(while_pending.json().at("route").as_string(), "quote");
  EXPECT_FALSE(while_pending.json().at("message").as_string().empty());
  Headers async_key = key;
  async_key.push_back({"Prefer", "respond-async"});
  auto async_pending = post_quote(causeway.listener(), "other", async_key);
  EXPECT_EQ(async_pending.status, 422) << async_pending.body;
  EXPECT_FALSE(async_pending.header("location")) << "a Location for a request that was refused";
  EXPECT_EQ(first.get().body, "first");

  auto while_kept = post_quote(causeway.listener(), "other", key);
  EXPECT_EQ(while_kept.status, 422) << while_kept.body;
  EXPECT_EQ(while_kept.error(), "idempotency_key_reused");
  auto other_path = http(causeway.listener(), "POST", "/quotes?variant=2", key, "first");
  EXPECT_EQ(other_path.status, 422) << "the query is part of the request: " << other_path.body;
  auto replay = post_quote(causeway.listener(), "first", key);
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.body, "first");

  auto requests = TopicReader(causeway.broker(), "quotes.requests").read(2, 3s);
  EXPECT_EQ(requests.size(), 1u) << "nothing produced for a reused key";
  EXPECT_EQ(metric(causeway.admin(), "causeway_requests_total", {{"route", "quote"}, {"code", "422"}}), 4);
}

TEST(RequestReplyIdempotency, DifferentKeysAreSeparateRequests) {
  CausewayProcess causeway(ReplyConfig{}.yaml());
  EchoResponder responder(causeway.broker(), "quotes.requests");

  auto a = post_quote(causeway.listener(), "a", {{"Idempotency-Key", "key-a"}});
  auto b = post_quote(causeway.listener(), "b", {{"Idempotency-Key", "key-b"}});
  EXPECT_EQ(a.body, "a");
  EXPECT_EQ(b.body, "b");

  auto requests = TopicReader(causeway.broker(), "quotes.requests").read(2, 10s);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].header("correlation-id"), requests[1].header("correlation-id"));
  EXPECT_EQ(metric_reaching(causeway.admin(), "causeway_replies_matched_total", 2), 2);
}

}  // namespace
}  // namespace causeway::testing
