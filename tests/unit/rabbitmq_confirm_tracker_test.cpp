// Publisher-confirm bookkeeping: single and multiple acks, nacks, returns matched by
// order among the messages they can be, timeouts, and what a lost channel or
// connection leaves.
#include <gtest/gtest.h>

#include <map>

#include "rabbitmq/channel_errors.h"
#include "rabbitmq/confirm_tracker.h"

namespace causeway::rabbitmq {
namespace {

using Outcome = bridge::DeliveryReport::Outcome;
using Clock = ConfirmTracker::Clock;
using namespace std::chrono_literals;

class ConfirmTrackerTest : public ::testing::Test {
 protected:
  // Publishes tag `tag` to exchange `exchange` with routing key `key`, due at start + `due`.
  void send(std::uint64_t tag, const std::string& exchange = "orders", const std::string& key = "k",
            std::optional<std::string> id = std::nullopt, Clock::duration due = 5s) {
    tracker.sent(tag, {exchange, key, id}, start + due, [this, tag](const bridge::DeliveryReport& report) {
      ++answers[tag];
      outcomes[tag] = report.outcome;
      errors[tag] = report.error;
    });
  }

  ConfirmTracker tracker;
  const Clock::time_point start = Clock::now();
  std::map<std::uint64_t, int> answers;
  std::map<std::uint64_t, Outcome> outcomes;
  std::map<std::uint64_t, std::string> errors;
};

TEST_F(ConfirmTrackerTest, AnAckStoresItsMessageOnly) {
  send(1);
  send(2);
  tracker.acked(2, false);
  EXPECT_EQ(outcomes.at(2), Outcome::stored);
  EXPECT_TRUE(errors.at(2).empty());
  EXPECT_FALSE(answers.contains(1));
  EXPECT_EQ(tracker.size(), 1u);
}

TEST_F(ConfirmTrackerTest, AMultipleAckStoresEverythingUpToItsTag) {
  for (std::uint64_t tag = 1; tag <= 4; ++tag) send(tag);
  tracker.acked(3, true);
  EXPECT_EQ(answers, (std::map<std::uint64_t, int>{{1, 1}, {2, 1}, {3, 1}}));
  tracker.acked(4, true);
  EXPECT_EQ(answers.at(4), 1);
  EXPECT_EQ(tracker.size(), 0u);
}

TEST_F(ConfirmTrackerTest, EachMessageIsAnsweredOnceWhateverComesAfter) {
  send(1);
  send(2);
  tracker.acked(2, true);
  tracker.acked(2, true);
  tracker.acked(1, false);
  tracker.nacked(2, true);
  tracker.connection_lost("gone");
  EXPECT_EQ(answers, (std::map<std::uint64_t, int>{{1, 1}, {2, 1}}));
}

TEST_F(ConfirmTrackerTest, ANackIsNotStored) {
  send(1);
  send(2);
  send(3);
  tracker.nacked(2, true);
  EXPECT_EQ(outcomes.at(1), Outcome::not_stored);
  EXPECT_EQ(outcomes.at(2), Outcome::not_stored);
  EXPECT_FALSE(answers.contains(3));
}

TEST_F(ConfirmTrackerTest, AReturnMakesTheAckThatCoversItUnroutable) {
  send(1, "orders", "nobody.listens");
  ASSERT_TRUE(tracker.returned({"orders", "nobody.listens", std::nullopt}, "312 NO_ROUTE"));
  EXPECT_FALSE(answers.contains(1));
  tracker.acked(1, false);
  EXPECT_EQ(outcomes.at(1), Outcome::unroutable);
  EXPECT_NE(errors.at(1).find("312 NO_ROUTE"), std::string::npos);
}

TEST_F(ConfirmTrackerTest, AReturnIsTheOldestUnconfirmedMessageItCanBe) {
  // 1 waits for its disk write; 2 is routed nowhere, so its return and ack come first.
  send(1, "orders", "created.1", "id-1");
  send(2, "orders", "created.2", "id-2");
  send(3, "orders", "created.2", "id-3");
  ASSERT_TRUE(tracker.returned({"orders", "created.2", "id-2"}, "312 NO_ROUTE"));
  tracker.acked(2, false);
  tracker.acked(3, true);
  EXPECT_EQ(outcomes.at(1), Outcome::stored);
  EXPECT_EQ(outcomes.at(2), Outcome::unroutable);
  EXPECT_EQ(outcomes.at(3), Outcome::stored);
}

TEST_F(ConfirmTrackerTest, ReturnsOfTheSameRouteMatchInPublishOrder) {
  send(1, "x", "k");
  send(2, "x", "k");
  send(3, "x", "k");
  ASSERT_TRUE(tracker.returned({"x", "k", std::nullopt}, "312 NO_ROUTE"));
  ASSERT_TRUE(tracker.returned({"x", "k", std::nullopt}, "312 NO_ROUTE"));
  tracker.acked(3, true);
  EXPECT_EQ(outcomes.at(1), Outcome::unroutable);
  EXPECT_EQ(outcomes.at(2), Outcome::unroutable);
  EXPECT_EQ(outcomes.at(3), Outcome::stored);
}

TEST_F(ConfirmTrackerTest, AReturnForNoWaitingMessageIsSaidSo) {
  send(1, "x", "k");
  EXPECT_FALSE(tracker.returned({"x", "other", std::nullopt}, "312 NO_ROUTE"));
  tracker.acked(1, false);
  EXPECT_EQ(outcomes.at(1), Outcome::stored);
}

TEST_F(ConfirmTrackerTest, NoConfirmByTheDeadlineIsMaybeStored) {
  send(1, "x", "k", std::nullopt, 1s);
  send(2, "x", "k", std::nullopt, 2s);
  EXPECT_EQ(tracker.next_deadline(), start + 1s);
  EXPECT_EQ(tracker.expire(start + 1500ms), 1u);
  EXPECT_EQ(outcomes.at(1), Outcome::maybe_stored);
  EXPECT_FALSE(answers.contains(2));
  tracker.acked(2, true);  // a late ack for 1 is not an answer any more
  EXPECT_EQ(answers, (std::map<std::uint64_t, int>{{1, 1}, {2, 1}}));
  EXPECT_FALSE(tracker.next_deadline().has_value());
}

TEST_F(ConfirmTrackerTest, ALostConnectionLeavesEverythingMaybeStored) {
  send(1);
  send(2);
  tracker.connection_lost("socket closed");
  EXPECT_EQ(outcomes.at(1), Outcome::maybe_stored);
  EXPECT_EQ(outcomes.at(2), Outcome::maybe_stored);
  EXPECT_NE(errors.at(2).find("socket closed"), std::string::npos);
}

TEST_F(ConfirmTrackerTest, AChannelErrorRejectsTheMessageItNamesAndDropsWhatCameAfter) {
  send(1, "orders");
  send(2, "gone");
  send(3, "orders");
  tracker.channel_closed("gone", "NOT_FOUND - no exchange 'gone' in vhost '/'");
  EXPECT_EQ(outcomes.at(1), Outcome::maybe_stored);
  EXPECT_EQ(outcomes.at(2), Outcome::rejected);
  EXPECT_EQ(errors.at(2), "NOT_FOUND - no exchange 'gone' in vhost '/'");
  EXPECT_EQ(outcomes.at(3), Outcome::not_stored);
}

TEST_F(ConfirmTrackerTest, AChannelErrorThatNamesNoMessageLeavesEachMaybeStored) {
  send(1);
  send(2);
  tracker.channel_closed(std::nullopt, "PRECONDITION_FAILED - something");
  EXPECT_EQ(outcomes.at(1), Outcome::maybe_stored);
  EXPECT_EQ(outcomes.at(2), Outcome::maybe_stored);
}

TEST_F(ConfirmTrackerTest, ACallbackThatPublishesAgainFindsItConsistent) {
  tracker.sent(1, {"x", "k", std::nullopt}, start + 5s, [this](const bridge::DeliveryReport&) {
    EXPECT_EQ(tracker.size(), 1u);  // 1 has left, 2 is still there
    send(3);
  });
  send(2);
  tracker.acked(1, false);
  EXPECT_EQ(tracker.size(), 2u);
}

TEST(ChannelErrors, TheMissingExchangeIsReadFromTheReplyText) {
  EXPECT_EQ(missing_exchange("NOT_FOUND - no exchange 'orders' in vhost '/'"), "orders");
  EXPECT_EQ(missing_exchange("NOT_FOUND - no exchange 'it''s' in vhost 'a'"), "it''s");
  EXPECT_EQ(missing_exchange("NOT_FOUND - no queue 'q' in vhost '/'"), std::nullopt);
  EXPECT_EQ(missing_exchange("PRECONDITION_FAILED - fast reply consumer does not exist"), std::nullopt);
}

}  // namespace
}  // namespace causeway::rabbitmq
