// Many clients at once: every acknowledged event is on the topic exactly once, with
// its own key and headers, and the metrics count every answer.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "harness.h"

namespace causeway::testing {
namespace {

constexpr int kThreads = 16;
constexpr int kRequests = 1000;

struct Sent {
  std::string key;
  std::string tenant;
  std::string body;
};

TEST(Concurrency, ThousandEventsFromSixteenKeepAliveClientsAreEachOnTheTopicOnce) {
  CausewayProcess causeway;
  std::mutex mutex;
  std::map<std::string, Sent> by_id;  // from the 202s
  std::vector<std::string> failures;

  auto client = [&](int thread) {
    HttpConnection connection(causeway.listener());
    for (int i = thread; i < kRequests; i += kThreads) {
      Sent sent{"c" + std::to_string(i), "tenant-" + std::to_string(thread), "{\"n\":" + std::to_string(i) + "}"};
      auto response = connection.send(HttpRequest{.method = "POST",
                                                  .path = "/orders/" + sent.key + "/events",
                                                  .headers = {{"X-Tenant", sent.tenant}},
                                                  .body = sent.body})
                          ? connection.read_response()
                          : std::nullopt;
      std::lock_guard lock(mutex);
      if (!response || response->status != 202) {
        failures.push_back(
            sent.key + ": " +
            (response ? std::to_string(response->status) + " " + response->body : std::string("no response")));
        return;  // the connection may be unusable now
      }
      by_id[std::string(response->json().at("id").as_string())] = sent;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(client, t);
  for (auto& thread : threads) thread.join();

  ASSERT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  ASSERT_EQ(by_id.size(), static_cast<std::size_t>(kRequests)) << "ids were not unique";

  auto messages = TopicReader(causeway.broker(), "orders.created").read(kRequests, 30s);
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(kRequests)) << "missing or extra messages";
  std::map<std::string, int> seen;
  for (const auto& message : messages) {
    auto id = message.header("correlation-id").value_or("(none)");
    ++seen[id];
    auto sent = by_id.find(id);
    if (sent == by_id.end()) {
      ADD_FAILURE() << "a message nobody was told about: " << id;
      continue;
    }
    EXPECT_EQ(message.key, sent->second.key);
    EXPECT_EQ(message.value, sent->second.body);
    EXPECT_EQ(message.header("x-tenant"), sent->second.tenant);
  }
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;

  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_EQ(metrics.value("causeway_requests_total", {{"route", "order-created"}, {"code", "202"}}), kRequests);
  EXPECT_EQ(metrics.value("causeway_request_duration_seconds_count", {{"route", "order-created"}}), kRequests);
  EXPECT_EQ(metrics.value("causeway_produced_total", {{"topic", "orders.created"}, {"result", "ok"}}), kRequests);
}

}  // namespace
}  // namespace causeway::testing
