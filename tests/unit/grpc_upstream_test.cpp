// GrpcUpstream against a real generated server on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "grpc/grpc_upstream.h"
#include "inventory.grpc.pb.h"
#include "metrics/registry.h"

namespace causeway::grpc {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Answers by the sku it is asked for.
class FakeInventory final : public inventory::v1::Inventory::Service {
 public:
  ::grpc::Status GetItem(::grpc::ServerContext* context, const inventory::v1::GetItemRequest* request,
                         inventory::v1::Item* item) override {
    const auto deadline = context->deadline();
    if (request->sku() == "timed" && deadline != std::chrono::system_clock::time_point::max()) {
      deadline_left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::system_clock::now()).count();
    }
    context->AddInitialMetadata("x-initial", "1");
    context->AddTrailingMetadata("x-trailer", "2");
    const std::string& sku = request->sku();
    if (sku == "missing") return {::grpc::StatusCode::NOT_FOUND, "no item missing"};
    if (sku == "busy") return {::grpc::StatusCode::UNAVAILABLE, "try later"};
    if (sku == "full") return {::grpc::StatusCode::RESOURCE_EXHAUSTED, "quota"};
    if (sku == "slow") {
      // Answers only once the caller gave up (or after 30 s): an answer other than
      // DEADLINE_EXCEEDED then means no deadline was applied, however loaded the machine.
      for (int i = 0; i < 3000 && !context->IsCancelled(); ++i) std::this_thread::sleep_for(10ms);
    }
    item->set_sku(sku);
    const auto tenant = context->client_metadata().find("x-tenant");
    if (tenant != context->client_metadata().end()) item->set_name(std::string(tenant->second.data(), tenant->second.size()));
    return ::grpc::Status::OK;
  }
  std::atomic<long> deadline_left_ms{-1};
};

struct Service {
  Service() {
    ::grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&inventory);
    server = builder.BuildAndStart();
  }
  ~Service() { server->Shutdown(std::chrono::system_clock::now() + 100ms); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  FakeInventory inventory;
  int port = 0;
  std::unique_ptr<::grpc::Server> server;
};

GrpcCall get_item(const std::string& sku) {
  inventory::v1::GetItemRequest request;
  request.set_sku(sku);
  return {"/inventory.v1.Inventory/GetItem", request.SerializeAsString(), {}, std::nullopt};
}

GrpcAnswer sent(GrpcUpstream& upstream, GrpcCall call) {
  std::promise<GrpcAnswer> answer;
  upstream.send(std::move(call), [&](GrpcAnswer result) { answer.set_value(std::move(result)); });
  auto future = answer.get_future();
  if (future.wait_for(3s) != std::future_status::ready) return grpc_error(Code::unknown, "the test gave up waiting");
  return future.get();
}

bridge::ServiceResult called(GrpcUpstream& upstream, bridge::ServiceCall call) {
  std::promise<bridge::ServiceResult> result;
  upstream.call(std::move(call), [&](bridge::ServiceResult outcome) { result.set_value(std::move(outcome)); });
  auto future = result.get_future();
  if (future.wait_for(3s) != std::future_status::ready) return {std::nullopt, "the test gave up waiting"};
  return future.get();
}

GrpcUpstreamOptions options_for(const std::string& address, std::chrono::milliseconds timeout = 2s) {
  GrpcUpstreamOptions options;
  options.name = "inventory";
  options.address = address;
  options.timeout = timeout;
  return options;
}

TEST(GrpcUpstream, CallsAnyMethodWithMetadataBothWays) {
  Service service;
  metrics::Registry registry;
  GrpcUpstream upstream(options_for(service.address()), registry);
  GrpcCall call = get_item("A1");
  call.metadata = {{"x-tenant", "t1"}, {"content-type", "application/json"}, {"host", "example"}};
  const GrpcAnswer answer = sent(upstream, std::move(call));

  ASSERT_EQ(answer.code, Code::ok) << answer.message;
  inventory::v1::Item item;
  ASSERT_TRUE(item.ParseFromString(answer.body));
  EXPECT_EQ(item.sku(), "A1");
  EXPECT_EQ(item.name(), "t1");
  EXPECT_EQ(*bridge::find_header(answer.metadata, "x-initial"), "1");
  EXPECT_EQ(*bridge::find_header(answer.metadata, "x-trailer"), "2");
  EXPECT_NE(registry.render().find(R"(causeway_upstream_requests_total{upstream="inventory",code="OK"} 1)"),
            std::string::npos);
}

TEST(GrpcUpstream, AsAServiceCallerItMapsCodesToStatusesTheDeliveryFlowJudges) {
  Service service;
  metrics::Registry registry;
  GrpcUpstream upstream(options_for(service.address()), registry);
  const auto status_for = [&](const std::string& sku) {
    inventory::v1::GetItemRequest request;
    request.set_sku(sku);
    bridge::ServiceResult result =
        called(upstream, {"POST", "/inventory.v1.Inventory/GetItem", {}, request.SerializeAsString()});
    EXPECT_TRUE(result.response.has_value()) << result.error;
    return result.response.value_or(bridge::Response{0, {}, {}});
  };

  const bridge::Response ok = status_for("A1");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(*bridge::find_header(ok.headers, "content-type"), "application/protobuf");
  inventory::v1::Item item;
  EXPECT_TRUE(item.ParseFromString(ok.body));

  const bridge::Response busy = status_for("busy");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.body, R"({"error":"unavailable","message":"try later"})");
  EXPECT_EQ(*bridge::find_header(busy.headers, "grpc-status"), "14");
  EXPECT_EQ(status_for("full").status, 429);
  EXPECT_EQ(status_for("missing").status, 404);
}

TEST(GrpcUpstream, DeadlinesComeFromTheUpstreamOrTheCallersTimeout) {
  Service service;
  metrics::Registry registry;
  GrpcUpstream upstream(options_for(service.address(), 150ms), registry);
  const GrpcAnswer late = sent(upstream, get_item("slow"));
  EXPECT_EQ(late.code, Code::deadline_exceeded);

  GrpcUpstream patient(options_for(service.address(), 5s), registry);
  const bridge::ServiceResult result =
      called(patient, {"POST", "/inventory.v1.Inventory/GetItem", {{"grpc-timeout", "300m"}}, get_item("timed").message});
  ASSERT_TRUE(result.response.has_value());
  EXPECT_EQ(result.response->status, 200);
  EXPECT_GT(service.inventory.deadline_left_ms.load(), 0);
  // At most the caller's 300 ms, give or take gRPC core's conversion of its cached clock
  // (301 ms seen under load), as in grpc_server_test.
  EXPECT_LE(service.inventory.deadline_left_ms.load(), 300 + 20);

  const bridge::ServiceResult timed_out =
      called(patient, {"POST", "/inventory.v1.Inventory/GetItem", {{"grpc-timeout", "50m"}},
                       get_item("slow").message});
  ASSERT_TRUE(timed_out.response.has_value());
  EXPECT_EQ(timed_out.response->status, 504);
}

TEST(GrpcUpstream, AnUnreachableUpstreamIsUnavailable) {
  int free_port = 0;
  {
    Service gone;
    free_port = gone.port;
  }
  metrics::Registry registry;
  GrpcUpstream upstream(options_for("127.0.0.1:" + std::to_string(free_port), 1s), registry);
  const GrpcAnswer answer = sent(upstream, get_item("A1"));
  EXPECT_EQ(answer.code, Code::unavailable) << answer.message;
  EXPECT_NE(registry.render().find(R"(causeway_upstream_requests_total{upstream="inventory",code="UNAVAILABLE"} 1)"),
            std::string::npos);
}

TEST(GrpcUpstream, MalformedMethodPathsFailWithoutACall) {
  metrics::Registry registry;
  GrpcUpstream upstream(options_for("127.0.0.1:1"), registry);
  GrpcCall call = get_item("A1");
  call.method = "inventory.v1.Inventory.GetItem";
  const GrpcAnswer answer = sent(upstream, std::move(call));
  EXPECT_EQ(answer.code, Code::internal);
  EXPECT_THAT(answer.message, HasSubstr("not a gRPC method path"));
}

TEST(GrpcUpstream, ClosingCancelsCallsInFlightAsErrors) {
  Service service;
  metrics::Registry registry;
  auto upstream = std::make_unique<GrpcUpstream>(options_for(service.address()), registry);
  std::promise<bridge::ServiceResult> result;
  upstream->call({"POST", "/inventory.v1.Inventory/GetItem", {}, get_item("slow").message},
                 [&](bridge::ServiceResult outcome) { result.set_value(std::move(outcome)); });
  std::this_thread::sleep_for(50ms);
  const auto started = std::chrono::steady_clock::now();
  upstream.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
  const bridge::ServiceResult outcome = future.get();
  EXPECT_FALSE(outcome.response.has_value());
  EXPECT_THAT(outcome.error, HasSubstr("closed"));
}

}  // namespace
}  // namespace causeway::grpc
