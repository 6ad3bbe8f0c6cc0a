// "A 200 is the caller's own reply", checked where it could break: a request-reply
// route on an external broker that fails produce requests, or the fetches of the
// reply reader, while several clients wait at once. Each request's body carries its
// own id and the echo responder answers with the request's body, so a reply given to
// the wrong caller shows; the request topic is read back to count what was stored
// against what each caller was told.
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "harness_replies.h"

namespace causeway::testing {
namespace {

constexpr const char* kRequests = "quotes.requests";
constexpr int kClients = 8;

// One produce request in flight per connection, for the reason event_guarantee_test.cpp
// gives at kOneRequestInFlight: librdkafka's mock broker does not check an idempotent
// producer's sequence, so a request overtaking one that failed would make it look stored.
ReplyConfig on(const MockBroker& broker) {
  ReplyConfig config;
  config.bootstrap = broker.bootstrap();
  config.broker_options = "{ linger.ms: 1, max.in.flight.requests.per.connection: 1 }";
  config.timeout = "5s";
  return config;
}

struct Tally {
  std::map<int, int> statuses;  // 0: no answer
  std::size_t stored_without_200 = 0;
  std::string text() const {
    std::string out;
    for (const auto& [status, count] : statuses) {
      if (count > 0) out += (out.empty() ? "" : ", ") + std::to_string(count) + " x " + std::to_string(status);
    }
    return out;
  }
};

// Every 200 carries its own request's body; a body of another request is cross-talk,
// anything else a wrong reply. A request the broker did not store is 503
// broker_unavailable and is not on the topic; one without a reply in time is 504
// timeout (its request may be stored). Every request is answered, and none is
// stored twice (the producer is idempotent).
Tally expect_each_200_its_own_reply(const std::vector<ReplyLoad::Outcome>& outcomes,
                                    const std::vector<KafkaMessage>& on_topic) {
  std::map<std::string, std::string> key_of_body;
  for (const auto& outcome : outcomes) key_of_body[outcome.sent_body] = outcome.key;
  std::map<std::string, int> stored;
  for (const auto& message : on_topic) ++stored[message.value];

  Tally tally;
  for (const auto& outcome : outcomes) {
    ++tally.statuses[outcome.status];
    const bool is_stored = stored.contains(outcome.sent_body);
    if (outcome.status == 200) {
      if (auto other = key_of_body.find(outcome.body); other != key_of_body.end() && other->second != outcome.key) {
        ADD_FAILURE() << outcome.key << " got the reply of " << other->second;
      } else {
        EXPECT_EQ(outcome.body, outcome.sent_body) << outcome.key << " got a 200 that is not its reply";
      }
      EXPECT_TRUE(is_stored) << outcome.key << " got a 200 but its request is not on " << kRequests;
      continue;
    }
    tally.stored_without_200 += is_stored ? 1 : 0;
    if (outcome.status == 503) {
      EXPECT_EQ(outcome.error, "broker_unavailable") << outcome.key << ": " << outcome.body;
      EXPECT_FALSE(is_stored) << outcome.key << " was answered 503 (not stored) but is on " << kRequests;
    } else {
      EXPECT_TRUE(outcome.status == 504 && outcome.error == "timeout")
          << outcome.key << ": " << outcome.status << " " << outcome.body;
    }
  }
  for (const auto& [body, copies] : stored) {
    EXPECT_TRUE(key_of_body.contains(body)) << "'" << body << "' is on " << kRequests << " but was never sent";
    EXPECT_EQ(copies, 1) << body << " is on " << kRequests << " " << copies << " times";
  }
  return tally;
}

// Outcomes of a load before, while and after `inject` pushes errors: warmed up to 30
// replies, then run until 120 more replies than there are clients came after the push.
// Errors are used in order, so a reply produced and fetched after the push (more than
// the kClients requests in flight then) proves every error was met before it.
std::vector<ReplyLoad::Outcome> load_through(const CausewayProcess& causeway, const std::function<void()>& inject) {
  ReplyLoad load(causeway.listener(), kClients);
  EXPECT_TRUE(eventually([&] { return load.count(200) >= 30; }, 10s)) << causeway.log();
  const auto before = load.count(200);
  inject();
  EXPECT_TRUE(eventually([&] { return load.count(200) >= before + kClients + 120; }, 20s))
      << "the load did not get through the injected errors\n"
      << causeway.log();
  return load.stop();
}

// Once the errors are used up, every request is answered 200 with its own reply.
void expect_recovered(const CausewayProcess& causeway) {
  auto wrong = post_echoed(causeway.listener(), "/quotes", 80, kClients,
                           [](int i) { return R"({"after":)" + std::to_string(i) + "}"; });
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " requests after the errors failed, first: " << wrong.front();
}

// What a run through injected errors showed, once the route answered again.
struct ErrorsRun {
  Tally tally;
  int requests = 0;
  std::size_t on_topic = 0;
  double orphaned = 0;
  int failed() const {
    const auto ok = tally.statuses.find(200);
    return requests - (ok == tally.statuses.end() ? 0 : ok->second);
  }
};

// The request-reply route on an external broker, answered by the echo responder, under
// load while `inject` pushes errors: each 200 checked to be the caller's own reply, then
// the route checked to answer everyone again with nothing left pending.
ErrorsRun run_through(const std::function<void(MockBroker&)>& inject) {
  MockBroker broker;
  broker.create_topic(kRequests, 2);
  broker.create_topic("quotes.replies", 1);
  CausewayProcess causeway(on(broker).yaml());
  EchoResponder responder(broker.bootstrap(), kRequests);
  auto outcomes = load_through(causeway, [&] { inject(broker); });
  auto on_topic = TopicReader(broker.bootstrap(), kRequests).read(outcomes.size(), 15s);
  ErrorsRun run{expect_each_200_its_own_reply(outcomes, on_topic), static_cast<int>(outcomes.size()),
                on_topic.size()};
  expect_recovered(causeway);
  EXPECT_EQ(metric(causeway.admin(), "causeway_replies_pending"), 0);
  run.orphaned = metric(causeway.admin(), "causeway_replies_orphaned_total");
  return run;
}

TEST(ReplyGuarantee, RetriableProduceErrorsUnderLoadEndInTheCallersOwnReplyOr503Or504) {
  // Both the requests and the responder's replies meet these: every Produce to the cluster does.
  auto run = run_through([](MockBroker& broker) {
    broker.produce_errors(24, {"NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT", "_TRANSPORT"});
  });
  EXPECT_GT(run.tally.statuses[200], 10 * run.failed())
      << "retriable errors should mostly end in the reply: " << run.tally.text();
  std::cout << "[ info     ] 24 retriable produce errors under request-reply load: " << run.tally.text() << "; "
            << run.tally.stored_without_200 << " stored without a 200; " << run.on_topic << " requests on the topic; "
            << run.orphaned << " replies orphaned\n";
}

TEST(ReplyGuarantee, FetchErrorsOnTheReplyReaderDelayRepliesButNeverHandOneToAnotherCaller) {
  // Every Fetch of the cluster meets these: Causeway's reply reader's and the responder's.
  auto run = run_through([](MockBroker& broker) {
    broker.request_errors("fetch", 16, {"NOT_LEADER_FOR_PARTITION", "_TRANSPORT", "UNKNOWN_TOPIC_OR_PART"});
  });
  EXPECT_EQ(run.tally.statuses[503], 0) << "fetch errors do not keep a request from being stored: " << run.tally.text();
  EXPECT_GT(run.tally.statuses[200], 10 * run.failed())
      << "delayed replies should mostly come within the route's timeout: " << run.tally.text();
  std::cout << "[ info     ] 16 fetch errors under request-reply load: " << run.tally.text() << "; " << run.on_topic
            << " requests on the topic; " << run.orphaned << " replies orphaned\n";
}

}  // namespace
}  // namespace causeway::testing
