// "No message is lost, and each dead letter is stored once", checked where it could
// break: a delivery route on an external broker that fails its fetches, its offset
// commits, or the dead letters it publishes. Messages carry unique ids; the service
// records every call and refuses every tenth id (400: dead-lettered at once); the dead
// letter topic and the group's committed offsets are read back from the broker.
// Causeway is the only client that fetches, commits or produces once the messages are
// written, and a mock broker's errors are used in order, so a fetch, commit or dead
// letter that succeeds proves every error pushed before it was met.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "harness_delivery.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

constexpr const char* kTopic = "orders.created";
constexpr const char* kDeadLetter = "orders.created.dlq";
constexpr int kPartitions = 4;
constexpr int kMessages = 300;
const MetricsPage::Labels kSuccess{{"route", kDeliveryRoute}, {"result", "success"}};
const MetricsPage::Labels kDeadLettered{{"route", kDeliveryRoute}, {"result", "dead_letter"}};

std::string id_of(int n) { return "id-" + std::to_string(n); }
bool refused(const std::string& id) { return std::stoi(id.substr(3)) % 10 == 0; }

// A mock broker holding kMessages messages over 30 keys, and a service answering 200, or
// 400 to the ids it refuses.
struct Scenario {
  MockBroker broker;
  ScriptedService service{[](const ServiceRequest& request) {
    return refused(request.body) ? ServiceAnswer{.status = 400, .body = "refused"} : ServiceAnswer{};
  }};
  std::vector<std::string> ids;

  Scenario() {
    broker.create_topic(kTopic, kPartitions);
    broker.create_topic(kDeadLetter, 1);
    TopicWriter writer(broker.bootstrap());
    for (int n = 0; n < kMessages; ++n) {
      writer.send(kTopic, "k" + std::to_string(n % 30), id_of(n));
      ids.push_back(id_of(n));
    }
    writer.flush();
  }

  std::string yaml() const {
    return DeliveryConfig{.service_url = service.url(),
                          .bootstrap = broker.bootstrap(),
                          .dead_letter = kDeadLetter,
                          .event_route = false}
        .yaml();
  }
};

struct Tally {
  std::size_t handled = 0;       // ids answered 200
  std::size_t dead_lettered = 0;  // ids on the dead letter topic
  std::size_t repeated_calls = 0;  // calls beyond the first for an id (at least once allows them)
  std::string text() const {
    return std::to_string(handled) + " handled, " + std::to_string(dead_lettered) + " dead-lettered, " +
           std::to_string(repeated_calls) + " repeated calls";
  }
};

// Every id is answered 200 by the service or, refused, is on the dead letter topic, once:
// nothing here rebalances or restarts, so nothing is read twice, and a refused publish
// stores nothing. Nothing else is on the dead letter topic.
Tally expect_none_lost(const Scenario& scenario, const std::vector<KafkaMessage>& dead) {
  std::map<std::string, int> calls, answered_200, letters;
  for (const auto& request : scenario.service.requests()) {
    ++calls[request.body];
    if (request.status == 200) ++answered_200[request.body];
  }
  for (const auto& letter : dead) ++letters[letter.value];
  Tally tally;
  for (const auto& id : scenario.ids) {
    tally.repeated_calls += calls[id] > 1 ? static_cast<std::size_t>(calls[id] - 1) : 0;
    if (refused(id)) {
      EXPECT_GE(calls[id], 1) << id << " never reached the service";
      EXPECT_EQ(letters[id], 1) << id << " is on " << kDeadLetter << " " << letters[id] << " times";
      tally.dead_lettered += letters[id] > 0 ? 1 : 0;
    } else {
      EXPECT_GE(answered_200[id], 1) << id << " was lost: never handled by the service";
      EXPECT_EQ(letters[id], 0) << id << " was handled but is on " << kDeadLetter;
      tally.handled += answered_200[id] > 0 ? 1 : 0;
    }
  }
  for (const auto& [value, copies] : letters) {
    EXPECT_TRUE(value.starts_with("id-")) << "'" << value << "' is on " << kDeadLetter << " but was never sent";
  }
  return tally;
}

constexpr std::size_t kRefused = kMessages / 10;

// Each partition's committed offset on the broker is its end: everything was handled and committed.
bool committed_to_the_end(const MockBroker& broker) {
  for (const auto& partition : group_progress(broker.bootstrap(), "order-handler", kTopic, kPartitions)) {
    if (partition.end < 0 || partition.committed != partition.end) return false;
  }
  return true;
}

std::string progress_text(const MockBroker& broker) {
  std::string out;
  for (const auto& partition : group_progress(broker.bootstrap(), "order-handler", kTopic, kPartitions)) {
    out += " " + std::to_string(partition.committed) + "/" + std::to_string(partition.end);
  }
  return "committed/end:" + out;
}

// Waits for every id to be handled or dead-lettered, then checks the tally, the metrics and the commits.
Tally expect_every_message_accounted_for(const Scenario& scenario, const CausewayProcess& causeway) {
  EXPECT_TRUE(scenario.service.wait_requests(kMessages, 30s))
      << scenario.service.request_count() << " of " << kMessages << " calls\n" << causeway.log();
  auto dead = TopicReader(scenario.broker.bootstrap(), kDeadLetter).read(kRefused, 30s);
  auto tally = expect_none_lost(scenario, dead);
  auto admin = causeway.admin();
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kSuccess, [](double v) { return v >= kMessages - kRefused; }, 5s),
            kMessages - kRefused);
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kDeadLettered, [](double v) { return v >= kRefused; }, 5s),
            kRefused);
  EXPECT_TRUE(eventually([&] { return delivery_lag(admin) == 0.0; }, 10s)) << "lag " << delivery_lag(admin).value_or(-1);
  EXPECT_TRUE(eventually([&] { return committed_to_the_end(scenario.broker); }, 20s, 200ms))
      << "the commits did not reach the end: " << progress_text(scenario.broker) << "\n" << causeway.log();
  return tally;
}

std::size_t log_lines_matching(const std::string& log, const std::regex& pattern) {
  std::istringstream lines(log);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) count += std::regex_search(line, pattern) ? 1 : 0;
  return count;
}

TEST(DeliveryGuarantee, FetchErrorsLoseNoMessageAndDeadLetterEachRefusedOneOnce) {
  Scenario scenario;
  // Pushed before Causeway starts, so its first fetches meet them.
  scenario.broker.request_errors("fetch", 12, {"NOT_LEADER_FOR_PARTITION", "_TRANSPORT", "UNKNOWN_TOPIC_OR_PART"});
  CausewayProcess causeway(scenario.yaml());
  auto tally = expect_every_message_accounted_for(scenario, causeway);
  std::cout << "[ info     ] 12 fetch errors, " << kMessages << " messages: " << tally.text() << "\n";
}

TEST(DeliveryGuarantee, OffsetCommitErrorsAreCommittedAgainUntilTheBrokerHoldsTheEnd) {
  Scenario scenario;
  // The commit every 200 ms meets these first; a refused one is offered again.
  scenario.broker.request_errors("offset_commit", 20,
                                 {"REQUEST_TIMED_OUT", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "_TRANSPORT"});
  CausewayProcess causeway(scenario.yaml());
  auto tally = expect_every_message_accounted_for(scenario, causeway);
  std::cout << "[ info     ] 20 offset commit errors, " << kMessages << " messages: " << tally.text() << "; "
            << progress_text(scenario.broker) << "\n";
}

// Defect (56a614b): a dead letter the broker refused was tried again every `backoff` for
// ever, with a warning each time: a broker refusing dead letters logged hundreds of
// lines a second. Now the retries back off as a service retry does and the warning goes
// through the route's log budget.
TEST(DeliveryGuarantee, RefusedDeadLettersAreTriedAgainWithBackoffAndAFewWarnings) {
  constexpr int kErrors = 80;
  Scenario scenario;
  // Only dead letters are produced once Causeway runs, so each of these refuses one publish.
  scenario.broker.produce_errors(kErrors, {"MSG_SIZE_TOO_LARGE"});
  CausewayProcess causeway(scenario.yaml());
  auto tally = expect_every_message_accounted_for(scenario, causeway);
  const auto warnings =
      log_lines_matching(causeway.log(), std::regex(std::string("dead letter to ") + kDeadLetter + " failed"));
  // Each refusal refuses one or more letters, each of which was a warning before; the
  // budget allows 10 per 10 s, and the backoff spreads 80 refusals over about as long.
  EXPECT_LE(warnings, 25u) << "a warning per refused dead letter floods the log";
  EXPECT_GT(warnings, 0u) << "the refused dead letters were never met";
  std::cout << "[ info     ] " << kErrors << " refused dead letter publishes, " << kMessages
            << " messages: " << tally.text() << "; " << warnings << " 'dead letter ... failed' warnings\n";
}

}  // namespace
}  // namespace causeway::testing
