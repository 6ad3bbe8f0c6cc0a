#include <gtest/gtest.h>

#include <malloc.h>

#include "bridge/correlation_id.h"
#include "bridge/reply_waiters.h"

namespace causeway::bridge {
namespace {

using namespace std::chrono_literals;

// Collects what each caller heard.
struct Ear {
  std::vector<Response> heard;
  Responder responder() {
    return Responder([this](Response response) { heard.push_back(std::move(response)); });
  }
};

const SteadyTime t0{};

ReplyWaiters::Wait wait_for(const std::string& id, Ear* ear, SteadyTime deadline = t0 + 5s, bool keep = false) {
  ReplyWaiters::Wait wait{id, "quote", deadline, keep, std::nullopt};
  if (ear) wait.caller = ear->responder();
  return wait;
}

Response reply(int status, std::string body) { return Response{status, {{"content-type", "text/plain"}}, std::move(body)}; }

TEST(ReplyWaiters, ReplyAnswersTheWaitingCaller) {
  ReplyWaiters waiters({});
  Ear ear;
  EXPECT_EQ(waiters.start(wait_for("a", &ear), t0), ReplyWaiters::Start::waiting);
  EXPECT_EQ(waiters.pending(), 1u);
  EXPECT_TRUE(waiters.deliver("a", reply(200, "hi"), t0 + 1s));
  ASSERT_EQ(ear.heard.size(), 1u);
  EXPECT_EQ(ear.heard[0].status, 200);
  EXPECT_EQ(ear.heard[0].body, "hi");
  EXPECT_EQ(waiters.pending(), 0u);
  EXPECT_FALSE(waiters.deliver("a", reply(200, "again"), t0 + 2s));  // duplicate: orphan
  EXPECT_FALSE(waiters.deliver("zzz", reply(200, "?"), t0 + 2s));    // unknown: orphan
  EXPECT_EQ(ear.heard.size(), 1u);
}

TEST(ReplyWaiters, TimeoutAnswers504AndALateReplyIsAnOrphan) {
  ReplyWaiters waiters({});
  Ear ear;
  waiters.start(wait_for("a", &ear, t0 + 5s), t0);
  EXPECT_TRUE(waiters.expire(t0 + 4s).empty());
  EXPECT_EQ(waiters.expire(t0 + 5s), std::vector<std::string>{"quote"});
  ASSERT_EQ(ear.heard.size(), 1u);
  EXPECT_EQ(ear.heard[0].status, 504);
  EXPECT_EQ(ear.heard[0].body, R"({"error":"timeout","message":"no reply before the route's timeout","route":"quote"})");
  EXPECT_EQ(waiters.pending(), 0u);
  EXPECT_FALSE(waiters.deliver("a", reply(200, "late"), t0 + 6s));
}

TEST(ReplyWaiters, SameIdJoinsTheWaitAndBothHearOneReply) {
  ReplyWaiters waiters({});
  Ear first, second;
  EXPECT_EQ(waiters.start(wait_for("k", &first, t0 + 5s, true), t0), ReplyWaiters::Start::waiting);
  EXPECT_EQ(waiters.start(wait_for("k", &second, t0 + 9s, true), t0 + 1s), ReplyWaiters::Start::joined);
  EXPECT_EQ(waiters.pending(), 1u);
  waiters.deliver("k", reply(201, "made"), t0 + 2s);
  ASSERT_EQ(first.heard.size(), 1u);
  ASSERT_EQ(second.heard.size(), 1u);
  EXPECT_EQ(second.heard[0].status, 201);
  EXPECT_EQ(second.heard[0].body, "made");
}

TEST(ReplyWaiters, KeptReplyIsReplayedUntilItExpires) {
  ReplyWaiters waiters({.keep = 60s});
  Ear first, again, later;
  waiters.start(wait_for("k", &first, t0 + 5s, true), t0);
  waiters.deliver("k", reply(200, "once"), t0 + 1s);
  EXPECT_EQ(waiters.start(wait_for("k", &again, t0 + 20s, true), t0 + 10s), ReplyWaiters::Start::replayed);
  ASSERT_EQ(again.heard.size(), 1u);
  EXPECT_EQ(again.heard[0].body, "once");
  EXPECT_EQ(waiters.start(wait_for("k", &later, t0 + 70s, true), t0 + 62s), ReplyWaiters::Start::waiting);
  EXPECT_TRUE(later.heard.empty());
}

// What the memory trim counts as load: a timed-out request's 504 stays kept, then goes.
TEST(ReplyWaiters, KeptCountsRepliesAndTimeoutsUntilTheyExpire) {
  ReplyWaiters waiters({.keep = 60s});
  Ear caller;
  waiters.start(wait_for("answered", &caller, t0 + 5s, true), t0);
  waiters.deliver("answered", reply(200, "once"), t0 + 1s);
  waiters.start(wait_for("timed-out", nullptr, t0 + 5s, true), t0);  // respond-async: no caller waits
  EXPECT_EQ(waiters.kept(), 1u);
  waiters.expire(t0 + 6s);
  EXPECT_EQ(waiters.pending(), 0u);
  EXPECT_EQ(waiters.kept(), 2u);
  waiters.expire(t0 + 70s);
  EXPECT_EQ(waiters.kept(), 0u);
}

// A keyed wait: the id its Idempotency-Key gives and the digest of the request it stands for.
ReplyWaiters::Wait keyed(const std::string& id, const std::string& body, Ear* ear, SteadyTime deadline = t0 + 5s) {
  auto wait = wait_for(id, ear, deadline, true);
  wait.digest = request_digest("POST", "/quotes", "", body);
  return wait;
}

TEST(ReplyWaiters, AKeyReusedForAnotherRequestIs422WhilePendingAndWhileKept) {
  ReplyWaiters waiters({.keep = 60s});
  Ear first, same, other;
  EXPECT_EQ(waiters.start(keyed("k", "one", &first), t0), ReplyWaiters::Start::waiting);
  EXPECT_EQ(waiters.start(keyed("k", "one", &same), t0), ReplyWaiters::Start::joined);
  EXPECT_EQ(waiters.start(keyed("k", "two", &other), t0), ReplyWaiters::Start::reused);
  ASSERT_EQ(other.heard.size(), 1u);
  EXPECT_EQ(other.heard[0].status, 422);
  EXPECT_EQ(other.heard[0].body,
            R"({"error":"idempotency_key_reused","message":"the Idempotency-Key was used for another request )"
            R"((its method, path, query or body differ); a new request needs a new key","route":"quote"})");
  EXPECT_EQ(waiters.start(keyed("k", "two", nullptr), t0), ReplyWaiters::Start::reused);  // asynchronous: no caller

  waiters.deliver("k", reply(200, "for one"), t0 + 1s);
  EXPECT_EQ(first.heard.at(0).body, "for one");
  EXPECT_EQ(same.heard.at(0).body, "for one");
  EXPECT_EQ(other.heard.size(), 1u) << "a refused caller hears nothing more";
  Ear replay, refused;
  EXPECT_EQ(waiters.start(keyed("k", "one", &replay), t0 + 2s), ReplyWaiters::Start::replayed);
  EXPECT_EQ(replay.heard.at(0).body, "for one");
  EXPECT_EQ(waiters.start(keyed("k", "two", &refused), t0 + 2s), ReplyWaiters::Start::reused);
  EXPECT_EQ(refused.heard.at(0).status, 422);

  Ear fresh;  // once the kept reply expired, the key is free again
  EXPECT_EQ(waiters.start(keyed("k", "two", &fresh, t0 + 70s), t0 + 62s), ReplyWaiters::Start::waiting);
  EXPECT_TRUE(fresh.heard.empty());
}

TEST(ReplyWaiters, AKeyReusedAfterAnAsynchronousTimeoutIs422) {
  ReplyWaiters waiters({});
  waiters.start(keyed("k", "one", nullptr), t0);
  waiters.expire(t0 + 5s);
  Ear other, retry;
  EXPECT_EQ(waiters.start(keyed("k", "two", &other, t0 + 20s), t0 + 6s), ReplyWaiters::Start::reused);
  EXPECT_EQ(waiters.start(keyed("k", "one", &retry, t0 + 20s), t0 + 6s), ReplyWaiters::Start::waiting);
}

TEST(ReplyWaiters, RequestDigestCoversMethodPathQueryAndBody) {
  const auto digest = request_digest("POST", "/quotes", "a=1", "{}");
  EXPECT_EQ(digest, request_digest("POST", "/quotes", "a=1", "{}"));
  EXPECT_NE(digest, request_digest("PUT", "/quotes", "a=1", "{}"));
  EXPECT_NE(digest, request_digest("POST", "/quotes/1", "a=1", "{}"));
  EXPECT_NE(digest, request_digest("POST", "/quotes", "a=2", "{}"));
  EXPECT_NE(digest, request_digest("POST", "/quotes", "a=1", "{ }"));
  EXPECT_NE(request_digest("POST", "/a", "", "b"), request_digest("POST", "/a", "b", ""));
}

TEST(ReplyWaiters, RepliesWithoutKeepAreNotKept) {
  ReplyWaiters waiters({});
  Ear first, second;
  waiters.start(wait_for("a", &first), t0);
  waiters.deliver("a", reply(200, "x"), t0);
  EXPECT_EQ(waiters.kept_bytes(), 0u);
  EXPECT_EQ(waiters.start(wait_for("a", &second), t0), ReplyWaiters::Start::waiting);
}

TEST(ReplyWaiters, KeptBytesAreBoundedOldestFirst) {
  const std::size_t one = ReplyWaiters::kept_record_bytes("a", Response{200, {}, std::string(40, 'x')});
  EXPECT_GT(one, 40u + sizeof(Response)) << "the record counts, not only its body";
  ReplyWaiters waiters({.max_kept_bytes = 2 * one + one / 2});
  for (std::string id : {"a", "b", "c"}) {
    waiters.start(wait_for(id, nullptr, t0 + 5s, true), t0);
    waiters.deliver(id, Response{200, {}, std::string(40, 'x')}, t0);
  }
  EXPECT_EQ(waiters.kept_bytes(), 2 * one);
  Ear a, c;
  waiters.poll("a", std::nullopt, t0, a.responder());
  waiters.poll("c", std::nullopt, t0, c.responder());
  EXPECT_EQ(a.heard.at(0).status, 404);
  EXPECT_EQ(c.heard.at(0).status, 200);
}

// max_kept bounds what kept replies really take, not only their bodies: a million tiny
// replies once took 330 MB against a 64 MiB bound. The heap's growth is the judge.
TEST(ReplyWaiters, ManyTinyKeptRepliesStayWithinTheByteBound) {
  constexpr std::size_t kBound = 1024 * 1024;
  constexpr int kReplies = 100000;
  std::vector<std::string> ids;
  for (int i = 0; i < kReplies; ++i) ids.push_back("00000000-0000-4000-8000-" + std::to_string(100000000000 + i));
  const auto before = mallinfo2().uordblks;
  {
    ReplyWaiters waiters({.keep = 60s, .max_kept_bytes = kBound});
    for (const auto& id : ids) {
      waiters.start(wait_for(id, nullptr, t0 + 5s, true), t0);
      waiters.deliver(id, reply(200, "ok"), t0);
    }
    const auto grown = mallinfo2().uordblks - before;
    EXPECT_LE(waiters.kept_bytes(), kBound);
    EXPECT_LE(grown, kBound) << "kept replies take " << grown << " bytes of heap against a bound of " << kBound;

    int kept = 0;
    for (const auto& id : ids) {
      Ear ear;
      waiters.poll(id, std::nullopt, t0, ear.responder());
      kept += ear.heard.at(0).status == 200;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, kReplies);
    Ear newest, oldest;
    waiters.poll(ids.back(), std::nullopt, t0, newest.responder());
    waiters.poll(ids.front(), std::nullopt, t0, oldest.responder());
    EXPECT_EQ(newest.heard.at(0).status, 200);
    EXPECT_EQ(oldest.heard.at(0).status, 404);
  }
}

TEST(ReplyWaiters, FullAnswers503AndRegistersNothing) {
  ReplyWaiters waiters({.max_pending = 2});
  Ear ear;
  EXPECT_EQ(waiters.start(wait_for("a", nullptr), t0), ReplyWaiters::Start::waiting);
  EXPECT_EQ(waiters.start(wait_for("b", nullptr), t0), ReplyWaiters::Start::waiting);
  EXPECT_EQ(waiters.start(wait_for("c", &ear), t0), ReplyWaiters::Start::full);
  ASSERT_EQ(ear.heard.size(), 1u);
  EXPECT_EQ(ear.heard[0].status, 503);
  EXPECT_EQ(ear.heard[0].body, R"({"error":"overloaded","message":"too many requests wait for a reply","route":"quote"})");
  Ear joiner;
  EXPECT_EQ(waiters.start(wait_for("a", &joiner), t0), ReplyWaiters::Start::joined);  // joining takes no room
  EXPECT_TRUE(joiner.heard.empty());
  EXPECT_EQ(waiters.pending(), 2u);
}

TEST(ReplyWaiters, AbandonAnswersEveryCallerAndKeepsNothing) {
  ReplyWaiters waiters({});
  Ear first, second;
  waiters.start(wait_for("k", &first, t0 + 5s, true), t0);
  waiters.start(wait_for("k", &second, t0 + 5s, true), t0);
  waiters.abandon("k", Response{503, {}, "down"});
  EXPECT_EQ(first.heard.at(0).status, 503);
  EXPECT_EQ(second.heard.at(0).status, 503);
  EXPECT_EQ(waiters.pending(), 0u);
  Ear retry;
  EXPECT_EQ(waiters.start(wait_for("k", &retry, t0 + 5s, true), t0), ReplyWaiters::Start::waiting);
  EXPECT_TRUE(waiters.expire(t0 + 4s).empty());  // the abandoned wait left no deadline behind
}

TEST(ReplyWaiters, PollingAnAsynchronousRequest) {
  ReplyWaiters waiters({.keep = 60s});
  waiters.start(wait_for("x", nullptr, t0 + 5s, true), t0);
  Ear now, long_poll, late;
  waiters.poll("x", std::nullopt, t0 + 1s, now.responder());
  EXPECT_EQ(now.heard.at(0).status, 202);
  EXPECT_EQ(now.heard.at(0).body, R"({"id":"x","status":"pending"})");

  waiters.poll("x", t0 + 3s, t0 + 1s, long_poll.responder());
  EXPECT_TRUE(long_poll.heard.empty());
  waiters.deliver("x", reply(200, "done"), t0 + 2s);
  EXPECT_EQ(long_poll.heard.at(0).status, 200);
  EXPECT_EQ(long_poll.heard.at(0).body, "done");

  waiters.poll("x", std::nullopt, t0 + 30s, late.responder());
  EXPECT_EQ(late.heard.at(0).body, "done");
  Ear expired;
  waiters.poll("x", std::nullopt, t0 + 63s, expired.responder());
  EXPECT_EQ(expired.heard.at(0).status, 404);
}

TEST(ReplyWaiters, LongPollEndsWith202WhenNoReplyComes) {
  ReplyWaiters waiters({});
  waiters.start(wait_for("x", nullptr, t0 + 10s, true), t0);
  Ear poller;
  waiters.poll("x", t0 + 2s, t0, poller.responder());
  waiters.expire(t0 + 1s);
  EXPECT_TRUE(poller.heard.empty());
  waiters.expire(t0 + 2s);
  EXPECT_EQ(poller.heard.at(0).status, 202);
  EXPECT_EQ(waiters.pending(), 1u);  // the request itself still waits
}

TEST(ReplyWaiters, AsynchronousTimeoutIsKeptForItsLocation) {
  ReplyWaiters waiters({});
  waiters.start(wait_for("x", nullptr, t0 + 5s, true), t0);
  EXPECT_EQ(waiters.expire(t0 + 5s).size(), 1u);
  Ear poller;
  waiters.poll("x", std::nullopt, t0 + 6s, poller.responder());
  EXPECT_EQ(poller.heard.at(0).status, 504);
}

TEST(ReplyWaiters, ARetryAfterAnAsynchronousTimeoutStartsAgain) {
  ReplyWaiters waiters({});
  waiters.start(wait_for("k", nullptr, t0 + 5s, true), t0);
  waiters.expire(t0 + 5s);
  Ear retry;
  EXPECT_EQ(waiters.start(wait_for("k", &retry, t0 + 20s, true), t0 + 6s), ReplyWaiters::Start::waiting);
  EXPECT_TRUE(retry.heard.empty());
  waiters.deliver("k", reply(200, "second time"), t0 + 7s);
  EXPECT_EQ(retry.heard.at(0).body, "second time");
  Ear poller;
  waiters.poll("k", std::nullopt, t0 + 8s, poller.responder());
  EXPECT_EQ(poller.heard.at(0).body, "second time");
  EXPECT_EQ(waiters.kept_bytes(), ReplyWaiters::kept_record_bytes("k", reply(200, "second time")))
      << "the new reply took the 504's place, counted once";
}

TEST(ReplyWaiters, APollWhileARetryWaitsIsPendingNotTheOld504) {
  ReplyWaiters waiters({});
  waiters.start(wait_for("k", nullptr, t0 + 5s, true), t0);
  waiters.expire(t0 + 5s);
  EXPECT_EQ(waiters.start(wait_for("k", nullptr, t0 + 20s, true), t0 + 6s), ReplyWaiters::Start::waiting);
  Ear now, long_poll;
  waiters.poll("k", std::nullopt, t0 + 7s, now.responder());
  EXPECT_EQ(now.heard.at(0).status, 202);
  waiters.poll("k", t0 + 9s, t0 + 7s, long_poll.responder());
  EXPECT_TRUE(long_poll.heard.empty());
  waiters.deliver("k", reply(200, "second time"), t0 + 8s);
  EXPECT_EQ(long_poll.heard.at(0).body, "second time");
}

TEST(ReplyWaiters, AbandonAllAnswersEveryone) {
  ReplyWaiters waiters({});
  Ear a, b, poller;
  waiters.start(wait_for("a", &a), t0);
  waiters.start(wait_for("b", &b), t0);
  waiters.poll("b", t0 + 3s, t0, poller.responder());
  waiters.abandon_all(Response{503, {}, "draining"});
  EXPECT_EQ(a.heard.at(0).status, 503);
  EXPECT_EQ(b.heard.at(0).status, 503);
  EXPECT_EQ(poller.heard.at(0).status, 503);
  EXPECT_EQ(waiters.pending(), 0u);
  EXPECT_TRUE(waiters.expire(t0 + 10s).empty());
}

// A callback request: no caller, its reply kept for polling, and a notify.
ReplyWaiters::Wait callback_wait(const std::string& id, std::vector<Response>& notices, SteadyTime deadline = t0 + 5s) {
  ReplyWaiters::Wait wait = wait_for(id, nullptr, deadline, true);
  wait.notify = [&notices](Response response) { notices.push_back(std::move(response)); };
  return wait;
}

TEST(ReplyWaiters, NotifyHearsTheReplyAndPollingStillWorks) {
  ReplyWaiters waiters({});
  std::vector<Response> notices;
  EXPECT_EQ(waiters.start(callback_wait("a", notices), t0), ReplyWaiters::Start::waiting);
  EXPECT_TRUE(waiters.deliver("a", reply(201, "made"), t0 + 1s));
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].status, 201);
  EXPECT_EQ(notices[0].body, "made");
  Ear poller;
  waiters.poll("a", std::nullopt, t0 + 2s, poller.responder());
  ASSERT_EQ(poller.heard.size(), 1u);
  EXPECT_EQ(poller.heard[0].body, "made");
}

TEST(ReplyWaiters, NotifyHearsTheTimeoutAndTheLocationKeepsIt) {
  ReplyWaiters waiters({});
  std::vector<Response> notices;
  waiters.start(callback_wait("a", notices, t0 + 5s), t0);
  EXPECT_EQ(waiters.expire(t0 + 5s), std::vector<std::string>{"quote"});
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].status, 504);
  Ear poller;
  waiters.poll("a", std::nullopt, t0 + 6s, poller.responder());
  ASSERT_EQ(poller.heard.size(), 1u);
  EXPECT_EQ(poller.heard[0].status, 504);
}

TEST(ReplyWaiters, ADuplicateJoinsTheFirstNotifyAndBringsNoSecond) {
  ReplyWaiters waiters({});
  std::vector<Response> first;
  std::vector<Response> second;
  waiters.start(callback_wait("a", first), t0);
  EXPECT_EQ(waiters.start(callback_wait("a", second), t0), ReplyWaiters::Start::joined);
  waiters.deliver("a", reply(200, "once"), t0 + 1s);
  EXPECT_EQ(first.size(), 1u);
  EXPECT_TRUE(second.empty());
}

TEST(ReplyWaiters, AbandonDoesNotNotifyButAbandonAllDoes) {
  ReplyWaiters waiters({});
  std::vector<Response> notices;
  waiters.start(callback_wait("a", notices), t0);
  waiters.abandon("a", reply(503, "not produced"));
  EXPECT_TRUE(notices.empty()) << "the client heard the 503 itself";
  waiters.start(callback_wait("b", notices), t0);
  waiters.abandon_all(reply(503, "draining"));
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].body, "draining");
}

}  // namespace
}  // namespace causeway::bridge
