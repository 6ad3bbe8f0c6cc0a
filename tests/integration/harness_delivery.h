#pragma once
// Delivery additions to the harness: a config with a delivery route to a test's
// service, a producer for messages made up by the test, and metric polling.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"

struct rd_kafka_s;  // librdkafka's handle and message, kept out of the tests' includes
struct rd_kafka_message_s;

namespace causeway::testing {

// A config with the delivery route "handle-orders": orders.created, group
// order-handler -> the upstream "orders" at `service_url`. With `event_route` it
// also has listener "public" and the event route "order-created" (POST
// /orders/{customer}/events -> orders.created, key {customer}). Fields are YAML text
// put in as they are; empty optional ones are left out so Causeway's defaults apply.
struct DeliveryConfig {
  std::string service_url{};
  std::string bootstrap = "embedded";
  std::string broker_options = "{ linger.ms: 1 }";
  std::string drain_timeout = "15s";
  std::string upstream_timeout = "2s";
  std::string route_timeout{};  // the route's to.timeout, or none
  std::string topic = "orders.created";
  std::string group = "order-handler";
  std::string method = "POST";
  std::string path = "/orders/{key}/events";
  std::string retry = "{ attempts: 5, backoff: 50ms, max_backoff: 500ms }";
  std::string dead_letter{};   // a topic, or none
  std::string concurrency{};   // default 16
  std::string max_buffered{};  // default 1000
  bool event_route = true;
  std::string yaml() const;
};

inline constexpr const char* kDeliveryRoute = "handle-orders";

// Options for a broker shared by restarting or several Causeway instances: a dead
// member leaves the group in seconds rather than librdkafka's default 45 s. The mock
// broker holds a group's first JoinGroup for 3 s and expires members silent for a
// session, so the session must stay well above 3 s or the first join never ends.
inline constexpr const char* kGroupBrokerOptions =
    "{ linger.ms: 1, session.timeout.ms: 5000, heartbeat.interval.ms: 500 }";

// Produces messages the test makes up: any key, value, headers and partition.
class TopicWriter {
 public:
  explicit TopicWriter(const std::string& bootstrap);
  ~TopicWriter();
  TopicWriter(const TopicWriter&) = delete;
  TopicWriter& operator=(const TopicWriter&) = delete;

  // Queued; the partition follows the key (as Java clients and Causeway place it) unless given.
  void send(const std::string& topic, const std::optional<std::string>& key, const std::string& value,
            const Headers& headers = {}, std::int32_t partition = -1);
  // Returns once everything sent so far was acknowledged; throws when something was not.
  void flush(Duration timeout = 15s);
  void write(const std::string& topic, const std::optional<std::string>& key, const std::string& value,
             const Headers& headers = {}, std::int32_t partition = -1) {
    send(topic, key, value, headers, partition);
    flush();
  }

 private:
  static void on_report(rd_kafka_s*, const rd_kafka_message_s* message, void* opaque);

  rd_kafka_s* handle_ = nullptr;
  std::size_t sent_ = 0;
  std::size_t acknowledged_ = 0;
  std::string first_error_;
};

// True once the delivery route logged that it was assigned some partitions, within
// `timeout`: from then on it reads (a group's first join takes the mock broker 3 s).
bool wait_assigned(const CausewayProcess& causeway, Duration timeout = 15s);

// A series' value now (summed over the labels not given); 0 while it does not exist.
double metric_now(const Address& admin, const std::string& name, const MetricsPage::Labels& labels = {});
// Polls the series until `holds` accepts its value; the last value read either way.
double metric_until(const Address& admin, const std::string& name, const MetricsPage::Labels& labels,
                    const std::function<bool(double)>& holds, Duration timeout);

// The summed causeway_consumer_lag of the delivery route; nullopt before any partition reports.
std::optional<double> delivery_lag(const Address& admin);

// What the broker holds of a group's progress on one partition: the offset it committed
// (-1 while none) and the partition's end.
struct PartitionProgress {
  std::int64_t committed = -1;
  std::int64_t end = -1;
};
// Partitions 0..partitions-1 of `topic`, read by a client of its own that never joins `group`.
std::vector<PartitionProgress> group_progress(const std::string& bootstrap, const std::string& group,
                                              const std::string& topic, int partitions);

// The resident set size Causeway reports of itself, in bytes.
double resident_bytes(const Address& admin);

}  // namespace causeway::testing
