// The delivery flow alone, against fake ports: what it calls, publishes, acknowledges
// and asks its source to hold, whatever the broker behind the source.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "bridge/delivery_flow.h"
#include "bridge_fake_ports.h"
#include "config/config_loader.h"
#include "metrics/registry.h"

namespace causeway::bridge {
namespace {

using testing::AckCounter;
using testing::FakeProducer;
using testing::FakeService;
using testing::FakeTimers;
using testing::HoldingService;
using Outcome = DeliveryReport::Outcome;
using namespace std::chrono_literals;

config::Config delivery_config(const std::string& route_extra) {
  return config::parse_config(R"(
brokers:
  events: { bootstrap: "127.0.0.1:9092" }
upstreams:
  orders: { type: http, url: "http://127.0.0.1:1" }
routes:
  - name: handle
    from: { broker: events, topic: orders, group: g }
    to: { upstream: orders, path: /events }
)" + route_extra,
                              "test.yaml");
}

ServiceResult answer(int status, std::string body = "") { return ServiceResult{Response{status, {}, std::move(body)}, ""}; }

SourcedMessage message(const std::string& lane, std::int64_t offset, std::optional<std::string> key, AckCounter& ack,
                       Headers headers = {}) {
  SourcedMessage sourced;
  sourced.lane = lane;
  sourced.message.topic = "orders";
  sourced.message.key = std::move(key);
  sourced.message.value = "v" + std::to_string(offset);
  sourced.message.headers = std::move(headers);
  sourced.message.origin = {{"topic", "orders"}, {"partition", "0"}, {"offset", std::to_string(offset)}};
  sourced.message.origin_prefix = "x-kafka-";
  sourced.ack = ack.handle();
  return sourced;
}

// Records what the flow asks of its source.
struct RecordingControl : LaneControl {
  std::vector<std::string> events;
  void hold(const std::string& lane) override { events.push_back("hold " + lane); }
  void release(const std::string& lane) override { events.push_back("release " + lane); }
};

// A flow of route "handle" (and `route_extra`) calling `service`, its lane "orders/0" open.
struct Fixture {
  Fixture(const std::string& route_extra, ServiceCaller& service)
      : config(delivery_config(route_extra)), target(service, std::get<config::UpstreamTarget>(config.routes[0].to)) {
    flow = std::make_shared<DeliveryFlow>(config.routes[0], config.brokers[0].headers, target, producer, timers,
                                          registry);
    flow->lane_opened("orders/0");
  }
  config::Config config;
  metrics::Registry registry;
  ServiceTarget target;
  std::shared_ptr<FakeProducer> producer = std::make_shared<FakeProducer>();
  FakeTimers timers;
  std::shared_ptr<DeliveryFlow> flow;
};

TEST(DeliveryFlow, ASuccessIsAcknowledgedOnceAndTheCallCarriesWhereItCameFrom) {
  FakeService service([](const ServiceCall&, int) { return answer(200); });
  Fixture f("", service);
  AckCounter ack;
  f.flow->deliver(message("orders/0", 7, "k1", ack, {{"x-kafka-offset", "forged"}, {"x-tenant", "t1"}}));
  ASSERT_EQ(service.calls().size(), 1u);
  const auto call = service.calls()[0];
  EXPECT_EQ(call.target, "/events");
  EXPECT_EQ(call.body, "v7");
  EXPECT_EQ(*find_header(call.headers, "x-kafka-offset"), "7");  // not the producer's forged value
  EXPECT_EQ(*find_header(call.headers, "x-kafka-key"), "k1");
  EXPECT_EQ(*find_header(call.headers, "x-tenant"), "t1");
  EXPECT_EQ(ack.handled.load(), 1);
  EXPECT_TRUE(f.producer->sent().empty());
}

TEST(DeliveryFlow, RetriesWithBackoffThenDeadLettersAndOnlyThenAcknowledges) {
  FakeService service([](const ServiceCall&, int) { return answer(503); });
  Fixture f("    retry: { attempts: 3, backoff: 100ms, max_backoff: 1s }\n    dead_letter: orders.dlq\n", service);
  AckCounter ack;
  f.flow->deliver(message("orders/0", 1, "k", ack));
  EXPECT_EQ(ack.handled.load(), 0);
  f.timers.run_all();
  EXPECT_EQ(service.calls().size(), 3u);
  ASSERT_EQ(f.timers.delays.size(), 2u);
  EXPECT_GE(f.timers.delays[0].count(), 50);  // jittered: half to all of backoff * 2^(n-1)
  EXPECT_LE(f.timers.delays[0].count(), 100);
  EXPECT_GE(f.timers.delays[1].count(), 100);
  EXPECT_LE(f.timers.delays[1].count(), 200);
  const auto sent = f.producer->sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "orders.dlq");
  EXPECT_EQ(*find_header(sent[0].headers, "dlt-original-offset"), "1");
  EXPECT_EQ(*find_header(sent[0].headers, "dlt-attempts"), "3");
  EXPECT_EQ(*find_header(sent[0].headers, "dlt-error"), "503 from the service");
  EXPECT_EQ(ack.handled.load(), 1);
}

// causeway_delivery_duration_seconds: one observation per attempt, lasting until the service answered.
TEST(DeliveryFlow, EachAttemptIsTimedUntilTheServicesAnswer) {
  HoldingService service;
  Fixture f("    retry: { attempts: 3, backoff: 10ms, max_backoff: 10ms }\n", service);
  auto& duration = f.registry.histogram("causeway_delivery_duration_seconds", "", {"route"}, {}).with({"handle"});
  AckCounter ack;
  f.flow->deliver(message("orders/0", 1, "k", ack));
  ASSERT_EQ(service.pending.size(), 1u);
  EXPECT_EQ(duration.snapshot().count, 0u);  // not before the answer
  std::this_thread::sleep_for(30ms);
  service.pending[0](answer(503));
  f.timers.run_all();
  ASSERT_EQ(service.pending.size(), 2u);
  service.pending[1](answer(200));
  const auto snapshot = duration.snapshot();
  EXPECT_EQ(snapshot.count, 2u);
  EXPECT_GE(snapshot.sum, 0.03);
  EXPECT_LT(snapshot.sum, 10.0);
  EXPECT_EQ(ack.handled.load(), 1);
}

TEST(DeliveryFlow, ADeadLetterTheBrokerDidNotStoreIsTriedAgainAndTheMessageStaysUnacknowledged) {
  FakeService service([](const ServiceCall&, int) { return answer(400); });
  Fixture f("    dead_letter: orders.dlq\n", service);
  f.producer->outcome = Outcome::not_stored;
  AckCounter ack;
  f.flow->deliver(message("orders/0", 1, "k", ack));
  EXPECT_EQ(f.producer->sent().size(), 1u);
  EXPECT_EQ(ack.handled.load(), 0);  // nothing committed past a message whose dead letter is not stored
  f.producer->outcome = Outcome::stored;
  f.timers.run_all();
  EXPECT_EQ(f.producer->sent().size(), 2u);
  EXPECT_EQ(ack.handled.load(), 1);
}

// A broker refusing every dead letter was asked again every `backoff` (10 ms here), for ever, with a
// warning each time: hundreds a second. Each new try now waits as a service retry does, up to max_backoff.
TEST(DeliveryFlow, ADeadLetterRefusedAgainAndAgainIsTriedWithGrowingBackoff) {
  FakeService service([](const ServiceCall&, int) { return answer(400); });
  Fixture f("    retry: { attempts: 1, backoff: 10ms, max_backoff: 1s }\n    dead_letter: orders.dlq\n", service);
  f.producer->outcome = Outcome::not_stored;
  AckCounter ack;
  f.flow->deliver(message("orders/0", 1, "k", ack));
  f.timers.run_all(11);  // the first try, then 11 more
  ASSERT_EQ(f.timers.delays.size(), 12u);
  for (std::size_t i = 0; i < f.timers.delays.size(); ++i) {
    const auto full = std::min<std::int64_t>(10 << i, 1000);  // backoff * 2^i, capped
    EXPECT_GE(f.timers.delays[i].count(), full / 2) << "try " << i + 1;
    EXPECT_LE(f.timers.delays[i].count(), full) << "try " << i + 1;
  }
  EXPECT_EQ(ack.handled.load(), 0);
  f.producer->outcome = Outcome::stored;
  f.timers.run_all();
  EXPECT_EQ(ack.handled.load(), 1);
}

TEST(DeliveryFlow, AMessageAskingForAReplyGetsTheServicesAnswerPublishedToItsReplyAddress) {
  FakeService service([](const ServiceCall&, int) { return answer(201, "quoted"); });
  Fixture f("", service);
  AckCounter ack;
  f.flow->deliver(message("orders/0", 3, "k", ack, {{"correlation-id", "c-1"}, {"reply-to", "quotes.replies"}}));
  const auto sent = f.producer->sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "quotes.replies");
  EXPECT_TRUE(sent[0].to_reply_address);  // the adapter decides how to reach it
  EXPECT_EQ(sent[0].value, "quoted");
  EXPECT_EQ(*find_header(sent[0].headers, "status"), "201");
  EXPECT_EQ(*find_header(sent[0].headers, "correlation-id"), "c-1");
  EXPECT_EQ(ack.handled.load(), 1);
}

TEST(DeliveryFlow, OneKeyAtATimeInOrderAcrossRetries) {
  std::vector<std::string> order;
  FakeService service([&](const ServiceCall& call, int index) {
    order.push_back(call.body);
    return index == 0 ? answer(500) : answer(200);  // the first call of all fails once
  });
  Fixture f("    retry: { attempts: 5, backoff: 10ms }\n", service);
  AckCounter first, second, other;
  f.flow->deliver(message("orders/0", 1, "a", first));
  f.flow->deliver(message("orders/0", 2, "a", second));
  f.flow->deliver(message("orders/0", 3, "b", other));
  // b went on while a waited for its retry; a's second message waits behind the first.
  EXPECT_EQ(order, (std::vector<std::string>{"v1", "v3"}));
  EXPECT_EQ(other.handled.load(), 1);
  EXPECT_EQ(second.handled.load(), 0);
  f.timers.run_all();
  EXPECT_EQ(order, (std::vector<std::string>{"v1", "v3", "v1", "v2"}));
  EXPECT_EQ(first.handled.load(), 1);
  EXPECT_EQ(second.handled.load(), 1);
}

TEST(DeliveryFlow, ALaneRunningAheadIsHeldAndReleasedAtHalf) {
  HoldingService holding;
  Fixture f("    max_buffered: 4\n    concurrency: 16\n", holding);
  auto& flow = f.flow;
  RecordingControl control;
  flow->set_control(&control);
  std::vector<AckCounter> acks(4);
  for (int i = 0; i < 4; ++i) flow->deliver(message("orders/0", i, std::to_string(i), acks[i]));
  EXPECT_EQ(control.events, (std::vector<std::string>{"hold orders/0"}));
  holding.pending[0](answer(200));
  EXPECT_EQ(control.events.size(), 1u);  // 3 buffered: still above half
  holding.pending[1](answer(200));
  EXPECT_EQ(control.events, (std::vector<std::string>{"hold orders/0", "release orders/0"}));
}

TEST(DeliveryFlow, AClosedLaneDropsWhatWaitsUnacknowledgedAndARedeliveryIsCounted) {
  HoldingService holding;
  Fixture f("", holding);
  auto& flow = f.flow;
  AckCounter first, queued;
  flow->deliver(message("orders/0", 1, "a", first));
  flow->deliver(message("orders/0", 2, "a", queued));  // waits behind the first
  std::thread answer_later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    holding.pending[0](answer(200));
  });
  flow->lane_closed("orders/0", std::chrono::seconds(5));  // waits for the one in flight
  answer_later.join();
  EXPECT_EQ(first.handled.load(), 1);
  EXPECT_EQ(queued.handled.load(), 0);  // the next owner reads it again
  EXPECT_EQ(holding.pending.size(), 1u);

  flow->lane_opened("orders/0");
  AckCounter again;
  auto redelivered = message("orders/0", 2, "a", again);
  redelivered.redelivered = true;
  flow->deliver(std::move(redelivered));
  EXPECT_NE(f.registry.render().find("causeway_deliveries_redelivered_total{route=\"handle\"} 1"), std::string::npos)
      << f.registry.render();
}

// Draining waits for a finished delivery's ack to be handed over, not only for its call:
// a source that closes its channel as soon as the flow is idle would lose that ack.
TEST(DeliveryFlow, IdleWaitsUntilTheLastAckWasHandedToTheSource) {
  HoldingService service;
  Fixture f("", service);
  std::promise<void> entered, release;
  struct SlowAck : Acknowledger {
    std::promise<void>& entered;
    std::shared_future<void> release;
    SlowAck(std::promise<void>& e, std::shared_future<void> r) : entered(e), release(std::move(r)) {}
    void handled() override {
      entered.set_value();
      release.wait();
    }
  };
  AckCounter unused;
  auto sourced = message("orders/0", 1, "k1", unused);
  sourced.ack = std::make_unique<SlowAck>(entered, release.get_future().share());
  f.flow->deliver(std::move(sourced));
  ASSERT_EQ(service.pending.size(), 1u);
  f.flow->stop_starting();
  std::thread answering([&] { service.pending[0](answer(200)); });
  entered.get_future().wait();
  EXPECT_FALSE(f.flow->wait_idle(std::chrono::steady_clock::now() + std::chrono::milliseconds(50)))
      << "idle while the ack was still on its way";
  release.set_value();
  EXPECT_TRUE(f.flow->wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  answering.join();
}

}  // namespace
}  // namespace causeway::bridge
