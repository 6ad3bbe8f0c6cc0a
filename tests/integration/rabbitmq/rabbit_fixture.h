#pragma once
// What the adapter tests share: clients made as the runtime makes them (a broker entry
// parsed from YAML, the factory register_rabbitmq() registered), delivery reports and
// deliveries recorded for the test to wait on, and names no other test uses.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/broker_client.h"
#include "harness_rabbitmq.h"
#include "metrics/registry.h"

namespace causeway::bridge {
// Outcomes by name in failure messages.
void PrintTo(DeliveryReport::Outcome outcome, std::ostream* out);
}  // namespace causeway::bridge

namespace causeway::testing::rabbit {

using Outcome = bridge::DeliveryReport::Outcome;

// A client for broker "rabbit" of `url` (the test broker's by default) with these options.
std::shared_ptr<bridge::BrokerClient> make_client(metrics::Registry& registry, const std::string& options = "{}",
                                                  const std::string& url = "", const std::string& tls = "");

// A delivery route from broker "rabbit"'s `queue`, bound as listed.
config::Route delivery_route(const std::string& queue, std::vector<config::TopicSource::Binding> bind = {},
                             std::optional<std::string> key_header = std::nullopt);

// "<test name>-<what>", unique per test and short enough for AMQP names.
std::string unique_name(const std::string& what);

// A counter's value in the registry's rendering ("name{broker=\"rabbit\"} 3"), 0 when absent.
double metric(const metrics::Registry& registry, const std::string& sample);

// Delivery reports by message, each of which must come exactly once.
class Reports {
 public:
  bridge::MessageProducer::OnDelivery expect(const std::string& id);
  bool wait_all(Duration timeout);
  Outcome outcome(const std::string& id);
  std::string error(const std::string& id);
  std::map<std::string, Outcome> outcomes();
  int answers(const std::string& id);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, int> answers_;
  std::map<std::string, bridge::DeliveryReport> reports_;
};

// Publishes and waits for the report.
bridge::DeliveryReport publish(bridge::MessageProducer& producer, bridge::OutboundMessage message,
                               Duration timeout = 20s);

// A MessageSink that keeps what it is handed.
class RecordingSink : public bridge::MessageSink {
 public:
  void lane_opened(const std::string& lane) override;
  void lane_closed(const std::string& lane, std::chrono::milliseconds wait) override;
  void deliver(bridge::SourcedMessage message) override;
  void stop_starting() override {}
  bool wait_idle(std::chrono::steady_clock::time_point) override { return true; }

  bool wait_deliveries(std::size_t count, Duration timeout);
  std::size_t deliveries();
  // The index-th delivery; its ack is taken out (the test acks it or drops it).
  bridge::SourcedMessage take(std::size_t index);
  int opened(const std::string& lane);
  int closed(const std::string& lane);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bridge::SourcedMessage> messages_;
  std::map<std::string, int> opened_;
  std::map<std::string, int> closed_;
};

// What on_reply is handed; it answers `matched` (whether a request was waiting).
class ReplyLog {
 public:
  explicit ReplyLog(bool matched = true) : matched_(matched) {}
  bridge::BrokerClient::OnReply callback();
  bool wait(std::size_t count, Duration timeout);
  bridge::InboundMessage at(std::size_t index);

 private:
  const bool matched_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bridge::InboundMessage> replies_;
};

// A service on a thread of its own (pika): takes one request from `queue` and answers at
// its reply_to with body "pong:<request>", the request's correlation id, content type
// text/plain and headers status 201 and the request's traceparent. `result` has the
// reply_to it saw.
std::thread responder(const std::string& queue, CommandResult& result);

const std::string* header(const bridge::Headers& headers, const std::string& name);

// pika's output, the last line as JSON.
boost::json::value pika_json(const std::string& script);

// What pika sees of a queue: messages ready and consumers.
struct QueueState {
  std::int64_t messages = -1;
  std::int64_t consumers = -1;
  bool operator==(const QueueState&) const = default;
};
QueueState queue_state(const std::string& queue);
// Takes every ready message off the queue (pika, acked): their bodies in order.
std::vector<std::string> drain(const std::string& queue);

}  // namespace causeway::testing::rabbit
