// A broker that stops answering without closing anything, and one that blocks
// publishing on a resource alarm: noticed, said in problem(), and over once it is.
#include <gtest/gtest.h>

#include <set>

#include "rabbit_fixture.h"

namespace causeway::testing::rabbit {
namespace {

bridge::OutboundMessage to_queue(const std::string& queue, std::string body) {
  bridge::OutboundMessage message;
  message.key = queue;
  message.value = std::move(body);
  return message;
}

TEST(RabbitTrouble, AFrozenBrokerIsNoticedLeftAndReconnectedOnceItThaws) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ heartbeat: 1s, confirm_timeout: 2s, connect_timeout: 1s }");
  const std::string queue = unique_name("orders");
  auto source = client->source(delivery_route(queue));
  RecordingSink sink;
  source->start(sink);
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 1; }, 10s));
  ASSERT_EQ(publish(*client->publisher(), to_queue(queue, "before")).outcome, Outcome::stored);

  rabbit_server().freeze();
  // More than the socket buffers hold: the I/O thread ends up in a write that cannot finish.
  Reports reports;
  constexpr int kMessages = 64;
  for (int i = 0; i < kMessages; ++i) {
    const std::string id = "big" + std::to_string(i);
    client->publisher()->produce(to_queue(queue, std::string(256 * 1024, 'x')), reports.expect(id));
  }
  const bool noticed = eventually([&] { return client->problem().has_value(); }, 30s, 50ms);
  const bool answered = eventually([&] { return reports.outcomes().size() == kMessages; }, 30s);
  rabbit_server().thaw();
  ASSERT_TRUE(noticed);
  ASSERT_TRUE(answered);
  for (const auto& [id, outcome] : reports.outcomes()) {
    EXPECT_TRUE(outcome == Outcome::not_stored || outcome == Outcome::maybe_stored) << id << ": " << reports.error(id);
  }
  EXPECT_EQ(sink.closed(queue), 1);

  ASSERT_TRUE(eventually([&] { return !client->problem().has_value(); }, 60s, 100ms)) << *client->problem();
  ASSERT_TRUE(eventually([&] { return sink.opened(queue) == 2; }, 30s));
  EXPECT_GE(metric(registry, "causeway_broker_reconnects_total{broker=\"rabbit\"}"), 1);
  EXPECT_EQ(publish(*client->publisher(), to_queue(queue, "after")).outcome, Outcome::stored);
  source->stop(std::chrono::steady_clock::now() + 5s);
}

TEST(RabbitTrouble, AResourceAlarmHoldsPublishesUntilItIsLiftedOrTheirTimeIsUp) {
  metrics::Registry registry;
  auto patient = make_client(registry, "{ confirm_timeout: 60s }");
  metrics::Registry other_registry;
  auto hasty = make_client(other_registry, "{ confirm_timeout: 1s }");
  const std::string queue = unique_name("orders");
  ASSERT_EQ(rabbit_server().pika("ch.queue_declare('" + queue + "', durable=True)\n").exit_code, 0);
  auto blocked = [](bridge::BrokerClient& client) {
    const auto problem = client.problem();
    return problem && problem->find("the broker blocks publishing: low on memory") != std::string::npos;
  };

  // RabbitMQ blocks a connection at its first publish under the alarm, and says so.
  const CommandResult alarm = rabbit_server().ctl({"set_vm_memory_high_watermark", "0"});
  ASSERT_EQ(alarm.exit_code, 0) << alarm.output;
  Reports reports;
  patient->publisher()->produce(to_queue(queue, "held"), reports.expect("held"));
  Reports hasty_reports;
  hasty->publisher()->produce(to_queue(queue, "written"), hasty_reports.expect("written"));
  const bool both_blocked = eventually([&] { return blocked(*patient) && blocked(*hasty); }, 30s);
  if (both_blocked) {
    patient->publisher()->produce(to_queue(queue, "queued"), reports.expect("queued"));
    // Held locally past its confirm_timeout: it never reached the broker.
    const bridge::DeliveryReport late = publish(*hasty->publisher(), to_queue(queue, "late"));
    EXPECT_EQ(late.outcome, Outcome::not_stored);
    EXPECT_EQ(late.error, "the broker blocks publishing (a resource alarm)");
    // Written before the block, unconfirmed when its time was up: the broker may store it yet.
    ASSERT_TRUE(hasty_reports.wait_all(10s));
    EXPECT_EQ(hasty_reports.outcome("written"), Outcome::maybe_stored);
  }
  const CommandResult lifted = rabbit_server().ctl({"set_vm_memory_high_watermark", "0.4"});
  ASSERT_EQ(lifted.exit_code, 0) << lifted.output;
  ASSERT_TRUE(both_blocked) << patient->problem().value_or("(no problem)") << " / "
                            << hasty->problem().value_or("(no problem)");

  ASSERT_TRUE(reports.wait_all(30s));
  EXPECT_EQ(reports.outcome("held"), Outcome::stored) << reports.error("held");
  EXPECT_EQ(reports.outcome("queued"), Outcome::stored) << reports.error("queued");
  EXPECT_TRUE(eventually([&] { return !patient->problem().has_value(); }, 10s));
  EXPECT_EQ(metric(registry, "causeway_amqp_blocked_total{broker=\"rabbit\"}"), 1);
  const std::vector<std::string> bodies = drain(queue);
  const std::set<std::string> on_queue(bodies.begin(), bodies.end());
  EXPECT_TRUE(on_queue.contains("held"));
  EXPECT_TRUE(on_queue.contains("queued"));
  EXPECT_FALSE(on_queue.contains("late"));
}

}  // namespace
}  // namespace causeway::testing::rabbit
