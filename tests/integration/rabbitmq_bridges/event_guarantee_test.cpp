// "A 202 means the message was stored" on RabbitMQ: Causeway killed with SIGKILL
// mid-load, every event it confirmed with a 202 is on the bound queue, read back by pika
// and matched to its request by the id its body carries.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <set>

#include "harness.h"
#include "rabbit_bridge_fixture.h"

namespace causeway::testing {
namespace {

struct Stored {
  std::string correlation_id;
  std::string routing_key;
};

// Every message on `queue`, taken off it, by the "request" of its body.
std::map<std::string, std::vector<Stored>> drain_by_request(const std::string& queue) {
  auto listed = pika(
      "out = []\n"
      "for m, p, b in ch.consume('" + queue + "', auto_ack=True, inactivity_timeout=2):\n"
      "  if m is None: break\n"
      "  try: request = json.loads(b).get('request', '')\n"
      "  except ValueError: request = ''\n"
      "  out.append([request, p.correlation_id or '', m.routing_key])\n"
      "print(json.dumps(out))");
  const auto parsed = boost::json::parse(listed);
  std::map<std::string, std::vector<Stored>> stored;
  for (const auto& entry : parsed.as_array()) {
    const auto& fields = entry.as_array();
    stored[std::string(fields[0].as_string())].push_back(
        Stored{std::string(fields[1].as_string()), std::string(fields[2].as_string())});
  }
  return stored;
}

TEST(RabbitEventGuarantee, KillNineMidLoadLosesNoEventThatGot202) {
  bound_queue("orders-g", "orders-g.all", "#");
  auto causeway = std::make_unique<CausewayProcess>(rabbit_config(
      "  - name: order-created\n"
      "    from: { listener: public, method: POST, path: \"/orders/{key}/events\" }\n"
      "    to: { broker: rabbit, exchange: orders-g, routing_key: \"created.{key}\" }\n"));
  EventLoad load(causeway->listener(), 8);
  ASSERT_TRUE(eventually([&] { return load.count(202) >= 300; }, 20s)) << causeway->log();
  causeway->kill9();
  // Each client ends once the listener refuses it (after at most one request the dead process never read).
  auto outcomes = load.stop();

  auto stored = drain_by_request("orders-g.all");
  std::map<int, int> statuses;
  std::set<std::string> sent;
  std::size_t stored_without_202 = 0, on_queue = 0;
  for (const auto& outcome : outcomes) {
    ++statuses[outcome.status];
    sent.insert(outcome.key);
    // The broker stays up: an answer is a 202 (confirmed) or there is none (killed first).
    EXPECT_TRUE(outcome.status == 202 || outcome.status == 0)
        << outcome.key << ": " << outcome.status << " " << outcome.error;
    auto found = stored.find(outcome.key);
    if (outcome.status != 202) {
      stored_without_202 += found != stored.end();
      continue;
    }
    if (found == stored.end()) {
      ADD_FAILURE() << outcome.key << " got a 202 but is not on the queue";
      continue;
    }
    EXPECT_EQ(found->second.front().correlation_id, outcome.id) << outcome.key;
    EXPECT_EQ(found->second.front().routing_key, "created." + outcome.key);
  }
  for (const auto& [request, places] : stored) {
    on_queue += places.size();
    EXPECT_TRUE(sent.contains(request)) << "'" << request << "' is on the queue but was never sent";
    EXPECT_EQ(places.size(), 1u) << request << " is on the queue " << places.size() << " times";
  }
  EXPECT_GT(statuses[0], 0) << "no request was in flight at the kill: it did not land mid-load";
  std::cout << "[ info     ] kill -9 on RabbitMQ: " << statuses[202] << " got 202, " << statuses[0]
            << " got no answer, of which " << stored_without_202 << " are stored anyway; " << on_queue
            << " on the queue\n";
}

}  // namespace
}  // namespace causeway::testing
