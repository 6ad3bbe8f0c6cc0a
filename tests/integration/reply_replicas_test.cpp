// Replicas sharing one reply topic: each reads only its own partition and asks for
// its replies there, so no replica sees (or drops) another's replies.
#include <gtest/gtest.h>

#include <future>
#include <map>

#include "harness_replies.h"

namespace causeway::testing {
namespace {

constexpr int kReplicas = 2;
constexpr int kRequestsEach = 300;
constexpr int kClientsEach = 8;

std::string body_of(int replica, int request) {
  return "{\"replica\":" + std::to_string(replica) + ",\"request\":" + std::to_string(request) + "}";
}

// Which replica sent a request body made by body_of.
int replica_of(const std::string& body) { return body.at(std::string("{\"replica\":").size()) - '0'; }

TEST(ReplyReplicas, EachReplicaGetsItsRepliesOnItsOwnPartitionOfASharedTopic) {
  MockBroker broker;
  broker.create_topic("quotes.requests", 2);
  broker.create_topic("quotes.replies", kReplicas);
  std::vector<std::unique_ptr<CausewayProcess>> replicas;
  for (int replica = 0; replica < kReplicas; ++replica) {
    ReplyConfig config;
    config.bootstrap = broker.bootstrap();
    config.reply_partition = std::to_string(replica);
    config.timeout = "10s";
    replicas.push_back(std::make_unique<CausewayProcess>(config.yaml()));
  }
  EchoResponder responder(broker.bootstrap(), "quotes.requests");

  std::vector<std::future<std::vector<std::string>>> loads;
  for (int replica = 0; replica < kReplicas; ++replica) {
    loads.push_back(std::async(std::launch::async, [&, replica] {
      return post_echoed(replicas[replica]->listener(), "/quotes", kRequestsEach, kClientsEach,
                         [replica](int request) { return body_of(replica, request); });
    }));
  }
  for (int replica = 0; replica < kReplicas; ++replica) {
    auto wrong = loads[replica].get();
    EXPECT_TRUE(wrong.empty()) << "replica " << replica << ": " << wrong.size()
                               << " wrong answers, first: " << wrong.front();
  }

  // Every request names its replica's partition, and its reply is there.
  constexpr auto kTotal = static_cast<std::size_t>(kReplicas * kRequestsEach);
  std::map<std::string, std::int32_t> reply_partition_of;  // by correlation id
  for (const auto& reply : TopicReader(broker.bootstrap(), "quotes.replies").read(kTotal, 30s)) {
    reply_partition_of[reply.header("correlation-id").value_or("")] = reply.partition;
  }
  auto requests = TopicReader(broker.bootstrap(), "quotes.requests").read(kTotal, 30s);
  EXPECT_EQ(requests.size(), kTotal);
  std::vector<std::string> misplaced;
  for (const auto& request : requests) {
    auto replica = std::to_string(replica_of(request.value));
    auto id = request.header("correlation-id").value_or("");
    auto reply = reply_partition_of.find(id);
    auto asked = request.header("reply-partition").value_or("none");
    auto got = reply == reply_partition_of.end() ? std::string("none") : std::to_string(reply->second);
    if (asked != replica || got != replica) {
      misplaced.push_back(request.value + " asked for partition " + asked + ", its reply is on " + got);
    }
  }
  EXPECT_TRUE(misplaced.empty()) << misplaced.size() << " requests of " << requests.size()
                                 << " not answered on their replica's partition, first: " << misplaced.front();

  for (int replica = 0; replica < kReplicas; ++replica) {
    auto admin = replicas[replica]->admin();
    EXPECT_EQ(metric_reaching(admin, "causeway_replies_matched_total", kRequestsEach), kRequestsEach) << "replica " << replica;
    EXPECT_EQ(metric(admin, "causeway_replies_orphaned_total"), 0)
        << "replica " << replica << " read replies meant for another";
    EXPECT_EQ(metric(admin, "causeway_replies_pending"), 0) << "replica " << replica;
  }
}

}  // namespace
}  // namespace causeway::testing
