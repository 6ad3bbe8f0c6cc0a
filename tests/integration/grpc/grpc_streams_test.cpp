// gRPC server streaming from a topic (stream: grpc) end to end: the causeway binary with
// its embedded broker, events posted through an HTTP event route or written by a plain
// producer, and generated C++ clients reading typed response messages.
#include <gtest/gtest.h>

#include <csignal>

#include "grpc_test_config.h"
#include "harness.h"
#include "harness_delivery.h"
#include "harness_replies.h"
#include "inventory.grpc.pb.h"
#include "inventory_server.h"

namespace causeway::testing {
namespace {

namespace inv = inventory::v1;
using namespace std::chrono_literals;


// The test config with `routes` (YAML list items): the first route is on line 11.
std::string stream_config(const std::string& routes) { return grpc_config("", routes); }

// WatchItems streams every item change as JSON, WatchItem those of the request's sku;
// POST /items/{sku} puts a change on the topic with the sku as its key.
const std::string kJsonRoutes = R"(  - name: watch
    from: { listener: rpc, rpc: inventory.v1.Inventory/WatchItems }
    to: { broker: events, topic: items.changed, stream: grpc }
    encoding: json
  - name: watch-one
    from: { listener: rpc, rpc: inventory.v1.Inventory/WatchItem }
    to: { broker: events, topic: items.changed, key: "{sku}", stream: grpc }
    encoding: json
  - name: item-changes
    from: { listener: public, method: POST, path: "/items/{sku}" }
    to: { broker: events, topic: items.changed, key: "{sku}" }
)";

int post_change(const CausewayProcess& causeway, const std::string& sku, const std::string& body) {
  return http(causeway.listener(), "POST", "/items/" + sku, {{"content-type", "application/json"}}, body).status;
}

double metric_of(const CausewayProcess& causeway, const std::string& name, const MetricsPage::Labels& labels) {
  return scrape_metrics(causeway.admin()).value(name, labels).value_or(-1);
}

// A stream call, open once its initial metadata came (Causeway sends them once subscribed).
struct Watch {
  template <class Open>
  explicit Watch(Open open, Duration timeout = 20s) {
    with_deadline(context, timeout);
    reader = open(context);
    reader->WaitForInitialMetadata();
  }
  std::optional<inv::Item> next() {
    inv::Item item;
    if (!reader->Read(&item)) return std::nullopt;
    return item;
  }
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<inv::Item>> reader;
};

TEST(GrpcStream, EachMessageOfTheTopicIsATypedResponseInOrder) {
  CausewayProcess causeway(stream_config(kJsonRoutes));
  auto stub = inventory_stub(causeway.listener("rpc"));
  Watch watch([&](grpc::ClientContext& context) { return stub->WatchItems(&context, {}); });
  ASSERT_EQ(post_change(causeway, "A1", R"({"sku":"A1","quantity":3,"price":{"currency":"EUR","units":"12"},"color":"RED"})"), 202);
  ASSERT_EQ(post_change(causeway, "A1", R"({"sku":"A1","quantity":2,"extra":"ignored"})"), 202);
  ASSERT_EQ(post_change(causeway, "A1", R"({"sku":"A1","tags":["x","y"]})"), 202);  // one key: one partition, in order

  auto first = watch.next();
  ASSERT_TRUE(first) << causeway.log();
  EXPECT_EQ(first->sku(), "A1");
  EXPECT_EQ(first->quantity(), 3);
  EXPECT_EQ(first->price().units(), 12);
  EXPECT_EQ(first->color(), inv::RED);
  auto second = watch.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->quantity(), 2) << "fields the type lacks are dropped";
  auto third = watch.next();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->tags_size(), 2);

  EXPECT_EQ(metric_of(causeway, "causeway_stream_clients", {{"route", "watch"}}), 1);
  // Counted just after the event is handed to the writer, which may have sent it by then.
  EXPECT_TRUE(eventually([&] { return metric_of(causeway, "causeway_stream_events_total", {{"route", "watch"}}) == 3; }, 2s))
      << metric_of(causeway, "causeway_stream_events_total", {{"route", "watch"}});
}

TEST(GrpcStream, ProtobufValuesGoOutAsTheyAre) {
  CausewayProcess causeway(stream_config(R"(  - name: watch
    from: { listener: rpc, rpc: inventory.v1.Inventory/WatchItems }
    to: { broker: events, topic: items.bytes, stream: grpc }
)"));
  auto stub = inventory_stub(causeway.listener("rpc"));
  Watch watch([&](grpc::ClientContext& context) { return stub->WatchItems(&context, {}); });
  inv::Item item;
  item.set_sku("P1");
  item.set_version(1ll << 40);
  TopicWriter writer(causeway.broker());
  writer.write("items.bytes", std::nullopt, "\xff\xff not protobuf");
  writer.write("items.bytes", std::nullopt, item.SerializeAsString());
  auto got = watch.next();
  ASSERT_TRUE(got) << causeway.log();
  EXPECT_EQ(got->sku(), "P1") << "the malformed value before it was skipped";
  EXPECT_EQ(got->version(), 1ll << 40);
  EXPECT_EQ(metric_of(causeway, "causeway_transcode_errors_total", {{"route", "watch"}, {"direction", "response"}}), 1);
}

TEST(GrpcStream, TheKeyIsTheRequestsFieldAndAnUnsetOneWatchesEveryKey) {
  CausewayProcess causeway(stream_config(kJsonRoutes));
  auto stub = inventory_stub(causeway.listener("rpc"));
  inv::GetItemRequest a1;
  a1.set_sku("A1");
  Watch one([&](grpc::ClientContext& context) { return stub->WatchItem(&context, a1); });
  Watch every([&](grpc::ClientContext& context) { return stub->WatchItem(&context, {}); });
  ASSERT_EQ(post_change(causeway, "A1", R"({"sku":"A1","quantity":1})"), 202);
  ASSERT_EQ(post_change(causeway, "B2", R"({"sku":"B2","quantity":2})"), 202);
  ASSERT_EQ(post_change(causeway, "A1", R"({"sku":"A1","quantity":3})"), 202);

  for (int quantity : {1, 3}) {
    auto item = one.next();
    ASSERT_TRUE(item) << causeway.log();
    EXPECT_EQ(item->sku(), "A1");
    EXPECT_EQ(item->quantity(), quantity);
  }
  // Keys are on different partitions: in order per key only.
  std::vector<int> a1_quantities;
  int b2 = 0;
  for (int i = 0; i < 3; ++i) {
    auto item = every.next();
    ASSERT_TRUE(item);
    if (item->sku() == "A1") a1_quantities.push_back(item->quantity());
    if (item->sku() == "B2") ++b2;
  }
  EXPECT_EQ(a1_quantities, (std::vector<int>{1, 3}));
  EXPECT_EQ(b2, 1);
  EXPECT_EQ(metric_of(causeway, "causeway_stream_clients", {{"route", "watch-one"}}), 2);
}

TEST(GrpcStream, AValueThatDoesNotTranscodeIsSkippedAndCounted) {
  CausewayProcess causeway(stream_config(kJsonRoutes));
  auto stub = inventory_stub(causeway.listener("rpc"));
  Watch watch([&](grpc::ClientContext& context) { return stub->WatchItems(&context, {}); });
  ASSERT_EQ(post_change(causeway, "A1", R"({"quantity":"lots"})"), 202);
  ASSERT_EQ(post_change(causeway, "A1", R"({"sku":"A1","quantity":4})"), 202);
  auto item = watch.next();
  ASSERT_TRUE(item) << causeway.log();
  EXPECT_EQ(item->quantity(), 4);
  EXPECT_EQ(metric_of(causeway, "causeway_transcode_errors_total", {{"route", "watch"}, {"direction", "response"}}), 1);
  EXPECT_EQ(metric_of(causeway, "causeway_stream_events_total", {{"route", "watch"}}), 1);
}

TEST(GrpcStream, AClientThatCancelsIsNoLongerAClient) {
  CausewayProcess causeway(stream_config(kJsonRoutes));
  auto stub = inventory_stub(causeway.listener("rpc"));
  {
    Watch watch([&](grpc::ClientContext& context) { return stub->WatchItems(&context, {}); });
    ASSERT_EQ(metric_of(causeway, "causeway_stream_clients", {{"route", "watch"}}), 1);
    watch.context.TryCancel();
    EXPECT_FALSE(watch.next());
    EXPECT_EQ(watch.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  ASSERT_TRUE(eventually([&] { return metric_of(causeway, "causeway_stream_clients", {{"route", "watch"}}) == 0; }, 10s));
  EXPECT_EQ(metric_of(causeway, "causeway_stream_disconnects_total", {{"route", "watch"}, {"reason", "client_closed"}}), 1);
  // The topic goes on without it.
  ASSERT_EQ(post_change(causeway, "A1", R"({"sku":"A1"})"), 202);
}

TEST(GrpcStream, SigtermEndsStreamsUnavailable) {
  CausewayProcess causeway(stream_config(kJsonRoutes));
  auto stub = inventory_stub(causeway.listener("rpc"));
  Watch watch([&](grpc::ClientContext& context) { return stub->WatchItems(&context, {}); });
  const auto started = std::chrono::steady_clock::now();
  causeway.signal(SIGTERM);
  EXPECT_FALSE(watch.next());
  const grpc::Status status = watch.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << "ended at once, not after drain_timeout";
  EXPECT_EQ(causeway.wait_exit(20s), 0);
}

TEST(GrpcStream, AServerStreamingMethodOfARouteThatIsNotAStreamIsUnimplemented) {
  CausewayProcess causeway(stream_config(R"(  - name: all-to-topic
    from: { listener: rpc, rpc: "inventory.v1.Inventory/*" }
    to: { broker: events, topic: items.calls }
)"));
  auto stub = inventory_stub(causeway.listener("rpc"));
  grpc::ClientContext context;
  with_deadline(context);
  auto reader = stub->WatchItems(&context, {});
  inv::Item item;
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(TopicReader(causeway.broker(), "items.calls").read(1, 1s).empty()) << "nothing was produced";
}

struct Refusal {
  std::string routes;
  std::string where;  // ":line:col: key path"
  std::string says;
};

TEST(GrpcStreamConfig, MisroutedStreamsAreErrorsAtTheirPosition) {
  TempDir dir;
  const std::vector<Refusal> refusals{
      {R"(  - name: unary
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { broker: events, topic: items.changed, stream: grpc }
)", ":12:33: routes[0].from.rpc: ", "is unary; 'stream: grpc' needs a server-streaming method"},
      {R"(  - name: not-a-stream
    from: { listener: rpc, rpc: inventory.v1.Inventory/WatchItems }
    to: { broker: events, topic: items.changed }
)", ":12:33: routes[0].from.rpc: ", "server-streaming method: route it to a topic with 'stream: grpc'"},
      {R"(  - name: unknown-field
    from: { listener: rpc, rpc: inventory.v1.Inventory/WatchItem }
    to: { broker: events, topic: items.changed, key: "{customer}", stream: grpc }
)", ":13:54: routes[0].to.key: ", "'customer' is not a field of inventory.v1.GetItemRequest (fields: sku, include_history)"},
      {R"(  - name: grpc-on-http
    from: { listener: public, method: GET, path: /items }
    to: { broker: events, topic: items.changed, stream: grpc }
)", ":13:", "'stream: grpc' is for routes of a gRPC listener"},
      {R"(  - name: every-method
    from: { listener: rpc, rpc: "inventory.v1.Inventory/*" }
    to: { broker: events, topic: items.changed, stream: grpc }
)", ":13:", "not pkg.Service/*"},
  };
  for (std::size_t i = 0; i < refusals.size(); ++i) {
    const auto& refusal = refusals[i];
    const auto file = dir.write("stream" + std::to_string(i) + ".yaml", stream_config(refusal.routes));
    auto result = run_command({CAUSEWAY_BIN, "validate", file.string()});
    EXPECT_NE(result.exit_code, 0) << refusal.routes;
    EXPECT_NE(result.output.find(file.string() + refusal.where), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(refusal.says), std::string::npos) << result.output;
  }
}

}  // namespace
}  // namespace causeway::testing
