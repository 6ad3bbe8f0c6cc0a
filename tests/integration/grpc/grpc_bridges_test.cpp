// gRPC on both sides, end to end: the real causeway binary between real gRPC C++ clients
// and servers generated from tests/proto/inventory.proto, the embedded broker, and a
// real HTTP service.
#include <gtest/gtest.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <boost/json/parse.hpp>
#include <atomic>
#include <csignal>
#include <future>
#include <mutex>
#include <set>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "harness.h"
#include "harness_delivery.h"
#include "harness_forward.h"
#include "harness_replies.h"
#include "harness_service.h"
#include "grpc_test_config.h"
#include "inventory.grpc.pb.h"
#include "inventory_server.h"

namespace causeway::testing {
namespace {

namespace inv = inventory::v1;

// A unary call of any method with any bytes, as a client with a broken encoder would send.
grpc::Status raw_call(const Address& address, const std::string& method, const std::string& bytes) {
  grpc::GenericStub stub(grpc::CreateChannel(address.text(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  with_deadline(context);
  grpc::CompletionQueue queue;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  auto call = stub.PrepareUnaryCall(&context, method, request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

std::string metadata_value(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, const std::string& name) {
  auto found = metadata.find(name);
  return found == metadata.end() ? std::string() : std::string(found->second.data(), found->second.size());
}

std::string seen(const SeenCall& call, const std::string& name) {
  auto found = call.metadata.find(name);
  return found == call.metadata.end() ? std::string() : found->second;
}

TEST(GrpcEvent, CallBecomesAnEventAfterTheBrokerAck) {
  CausewayProcess causeway(grpc_config("", R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/ReserveItem }
    to: { broker: events, topic: items.reserved }
    headers: [x-tenant]
)"));
  inv::ReserveRequest request;
  request.set_sku("A1");
  request.set_quantity(2);
  grpc::ClientContext context;
  with_deadline(context);
  context.AddMetadata("x-tenant", "t1");
  inv::Reservation reservation;
  auto status = inventory_stub(causeway.listener("rpc"))->ReserveItem(&context, request, &reservation);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << causeway.log();
  EXPECT_EQ(reservation.SerializeAsString(), "") << "an event's answer is the empty response message";
  EXPECT_EQ(metadata_value(context.GetServerInitialMetadata(), "causeway-topic"), "items.reserved");
  const std::string offset = metadata_value(context.GetServerInitialMetadata(), "causeway-offset");
  EXPECT_FALSE(offset.empty());

  auto messages = TopicReader(causeway.broker(), "items.reserved").read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].value, request.SerializeAsString());
  EXPECT_EQ(std::to_string(messages[0].offset), offset);
  EXPECT_EQ(messages[0].header("content-type"), "application/protobuf");
  EXPECT_EQ(messages[0].header("x-tenant"), "t1");
  EXPECT_TRUE(messages[0].header("traceparent"));
  EXPECT_TRUE(messages[0].header("correlation-id"));

  EXPECT_EQ(metric(causeway.admin(), "causeway_grpc_calls_total", {{"listener", "rpc"}, {"code", "OK"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_requests_total", {{"route", "reserve"}, {"code", "200"}}), 1);
}

TEST(GrpcEvent, JsonEncodingPutsTheProto3JsonMappingOnTheTopic) {
  CausewayProcess causeway(grpc_config("", R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/* }
    to: { broker: events, topic: items.reserved }
    encoding: json
)"));
  inv::ReserveRequest request;
  request.set_sku("A1");
  request.set_quantity(2);
  request.mutable_order()->set_color(inv::GREEN);
  grpc::ClientContext context;
  with_deadline(context);
  inv::Reservation reservation;
  ASSERT_TRUE(inventory_stub(causeway.listener("rpc"))->ReserveItem(&context, request, &reservation).ok());

  auto messages = TopicReader(causeway.broker(), "items.reserved").read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].header("content-type"), "application/json");
  EXPECT_EQ(boost::json::parse(messages[0].value), boost::json::parse(R"({"sku":"A1","quantity":2,"order":{"color":"GREEN"}})"));
}

// A message field set twice on the wire merges (protobuf's rule); the topic's JSON has each
// key once. REST -> gRPC makes such bytes: PUT /v1/orders/{order.id}/reservation appends the
// path's order.id after the body's order.
TEST(GrpcEvent, JsonEncodingMergesAFieldSetTwiceOnTheWire) {
  CausewayProcess bridge(grpc_config("", R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/ReserveItem }
    to: { broker: events, topic: items.reserved }
    encoding: json
)"));
  CausewayProcess rest(grpc_config("  inventory: { type: grpc, address: " + bridge.listener("rpc").text() + " }\n",
                                   R"(  - name: inventory-rest
    from: { listener: public }
    to: { upstream: inventory, rpc: "inventory.v1.Inventory/*" }
)"));
  auto reserved = http(rest.listener(), "PUT", "/v1/orders/o1/reservation", {{"content-type", "application/json"}},
                       R"({"customer":"c1","color":"RED"})");
  ASSERT_EQ(reserved.status, 200) << reserved.body << "\n" << rest.log() << "\n" << bridge.log();

  inv::ReserveRequest first;
  first.set_sku("A1");
  first.mutable_order()->set_customer("c2");
  inv::ReserveRequest second;
  second.mutable_order()->set_id("o2");
  ASSERT_TRUE(raw_call(bridge.listener("rpc"), "/inventory.v1.Inventory/ReserveItem",
                       first.SerializeAsString() + second.SerializeAsString()).ok());

  auto messages = TopicReader(bridge.broker(), "items.reserved").read(2);
  ASSERT_EQ(messages.size(), 2u);
  std::set<std::string> values{messages[0].value, messages[1].value};
  EXPECT_EQ(values, (std::set<std::string>{R"({"order":{"id":"o1","customer":"c1","color":"RED"}})",
                                            R"({"sku":"A1","order":{"id":"o2","customer":"c2"}})"}));
}

TEST(GrpcEvent, MalformedProtobufIsInvalidArgumentAndNothingIsProduced) {
  CausewayProcess causeway(grpc_config("", R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/ReserveItem }
    to: { broker: events, topic: items.reserved }
)"));
  // A length-delimited field whose length runs past the end.
  auto status = raw_call(causeway.listener("rpc"), "/inventory.v1.Inventory/ReserveItem", std::string("\x0a\x7f" "ab", 4));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("inventory.v1.ReserveRequest"), std::string::npos) << status.error_message();
  EXPECT_EQ(metric(causeway.admin(), "causeway_transcode_errors_total", {{"route", "reserve"}, {"direction", "request"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_produced_total"), 0);
}

TEST(GrpcEvent, MethodWithoutARouteIsUnimplemented) {
  CausewayProcess causeway(grpc_config("", R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/ReserveItem }
    to: { broker: events, topic: items.reserved }
)"));
  auto unrouted = raw_call(causeway.listener("rpc"), "/inventory.v1.Inventory/GetItem", "");
  EXPECT_EQ(unrouted.error_code(), grpc::StatusCode::UNIMPLEMENTED) << unrouted.error_message();
  auto unknown = raw_call(causeway.listener("rpc"), "/nowhere.Service/Nothing", "");
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNIMPLEMENTED) << unknown.error_message();
}

TEST(GrpcRequestReply, TheReplyBecomesTheResponseMessage) {
  CausewayProcess causeway(grpc_config("", R"(  - name: lookup
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { broker: events, topic: items.requests, reply: items.replies, timeout: 5s }
)"));
  // GetItemRequest and Item share field 1 (sku): echoed bytes read as an Item.
  EchoResponder responder(causeway.broker(), "items.requests");
  inv::GetItemRequest request;
  request.set_sku("A7");
  grpc::ClientContext context;
  with_deadline(context);
  inv::Item item;
  auto status = inventory_stub(causeway.listener("rpc"))->GetItem(&context, request, &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.sku(), "A7");
}

TEST(GrpcRequestReply, ReplyStatusBecomesAGrpcStatus) {
  CausewayProcess causeway(grpc_config("", R"(  - name: lookup
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { broker: events, topic: items.requests, reply: items.replies, timeout: 5s }
)"));
  EchoResponder responder(causeway.broker(), "items.requests", {"--status", "409"});
  grpc::ClientContext context;
  with_deadline(context);
  inv::Item item;
  auto status = inventory_stub(causeway.listener("rpc"))->GetItem(&context, inv::GetItemRequest(), &item);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
}

TEST(GrpcRequestReply, NoReplyBeforeTheTimeoutIsDeadlineExceeded) {
  CausewayProcess causeway(grpc_config("", R"(  - name: lookup
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { broker: events, topic: items.requests, reply: items.replies, timeout: 300ms }
)"));
  grpc::ClientContext context;
  with_deadline(context);
  inv::Item item;
  auto status = inventory_stub(causeway.listener("rpc"))->GetItem(&context, inv::GetItemRequest(), &item);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
}

TEST(GrpcTranscode, CallReachesAnHttpServiceAsJsonAndItsAnswerComesBackAsTheMessage) {
  ScriptedService service([](const ServiceRequest&) {
    return ServiceAnswer{.body = R"({"sku":"A1","name":"Widget","quantity":3,"warehouse":"north"})",
                         .headers = {{"Content-Type", "application/json"}}};
  });
  CausewayProcess causeway(grpc_config("  items-http: { url: " + service.url() + " }\n", R"(  - name: lookup
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { upstream: items-http, path: /items/lookup }
)"));
  inv::GetItemRequest request;
  request.set_sku("A1");
  request.set_include_history(true);
  grpc::ClientContext context;
  with_deadline(context);
  context.AddMetadata("x-tenant", "t1");
  context.AddMetadata("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  inv::Item item;
  auto status = inventory_stub(causeway.listener("rpc"))->GetItem(&context, request, &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.name(), "Widget");
  EXPECT_EQ(item.quantity(), 3);

  ASSERT_EQ(service.request_count(), 1u);
  const auto seen_request = service.requests()[0];
  EXPECT_EQ(seen_request.method, "POST");
  EXPECT_EQ(seen_request.target, "/items/lookup");
  EXPECT_EQ(seen_request.header("content-type"), "application/json");
  EXPECT_EQ(boost::json::parse(seen_request.body), boost::json::parse(R"({"sku":"A1","includeHistory":true})"));
  EXPECT_EQ(seen_request.header("x-tenant"), "t1");
  const auto trace = seen_request.header("traceparent");
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->substr(0, 36), "00-0af7651916cd43dd8448eb211c80319c-") << "same trace, a new span";
  EXPECT_NE(*trace, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
}

TEST(GrpcTranscode, ServiceErrorsBecomeGrpcStatusesWithTheirMessage) {
  ScriptedService service([](const ServiceRequest& request) {
    if (request.body.find("missing") != std::string::npos) {
      return ServiceAnswer{.status = 404, .body = R"({"error":"not_found","message":"no item missing"})"};
    }
    return ServiceAnswer{.body = R"({"quantity":"lots"})"};
  });
  CausewayProcess causeway(grpc_config("  items-http: { url: " + service.url() + " }\n", R"(  - name: lookup
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { upstream: items-http, path: /items/lookup }
)"));
  auto stub = inventory_stub(causeway.listener("rpc"));
  inv::GetItemRequest request;
  request.set_sku("missing");
  grpc::ClientContext context;
  with_deadline(context);
  inv::Item item;
  auto status = stub->GetItem(&context, request, &item);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no item missing");

  // An answer that does not fit the response message is the service's fault.
  grpc::ClientContext second;
  with_deadline(second);
  auto unfit = stub->GetItem(&second, inv::GetItemRequest(), &item);
  EXPECT_EQ(unfit.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(unfit.error_message().find("quantity"), std::string::npos) << unfit.error_message();
  EXPECT_EQ(metric(causeway.admin(), "causeway_transcode_errors_total", {{"route", "lookup"}, {"direction", "response"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_grpc_requests_total", {{"route", "lookup"}, {"code", "NOT_FOUND"}}), 1);
  EXPECT_EQ(metric(causeway.admin(), "causeway_grpc_requests_total", {{"route", "lookup"}, {"code", "INTERNAL"}}), 1);
}

TEST(GrpcForward, CallGoesToTheGrpcUpstreamWithMetadataAndDeadline) {
  InventoryServer upstream;
  CausewayProcess causeway(grpc_config("  inventory: { type: grpc, address: " + upstream.address() + " }\n",
                                       R"(  - name: inventory
    from: { listener: rpc, rpc: inventory.v1.Inventory/* }
    to: { upstream: inventory }
)"));
  auto stub = inventory_stub(causeway.listener("rpc"));
  inv::ReserveRequest request;
  request.set_sku("B2");
  request.set_quantity(4);
  grpc::ClientContext context;
  const auto deadline = std::chrono::system_clock::now() + 3s;
  context.set_deadline(deadline);
  context.AddMetadata("x-tenant", "t9");
  inv::Reservation reservation;
  auto status = stub->ReserveItem(&context, request, &reservation);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reservation.id(), "r-B2");
  EXPECT_EQ(reservation.quantity(), 4);

  auto calls = upstream.service().calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(seen(calls[0], "x-tenant"), "t9");
  EXPECT_FALSE(seen(calls[0], "traceparent").empty());
  EXPECT_LE(calls[0].deadline, deadline + 100ms) << "the caller's deadline travels on";

  grpc::ClientContext missing_context;
  with_deadline(missing_context);
  inv::GetItemRequest missing;
  missing.set_sku("missing");
  inv::Item item;
  auto not_found = stub->GetItem(&missing_context, missing, &item);
  EXPECT_EQ(not_found.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(not_found.error_message(), "no item missing");

  // What /config says of it.
  auto config = http(causeway.admin(), "GET", "/config").json();
  EXPECT_EQ(config.at("upstreams").at("inventory").at("address").as_string(), upstream.address());
  EXPECT_EQ(config.at("listeners").at("rpc").at("protocol").as_string(), "grpc");
  const auto& route = config.at("routes").at(0);
  EXPECT_EQ(route.at("mode").as_string(), "forward");
  EXPECT_EQ(route.at("from").at("rpc").as_string(), "inventory.v1.Inventory/*");
}

// REST routes with their own paths to an upstream "inventory".
constexpr const char* kRestRoutes = R"(  - name: get-item
    from: { listener: public, method: GET, path: "/v1/items/{sku}" }
    to: { upstream: inventory, rpc: inventory.v1.Inventory/GetItem }
  - name: reserve-item
    from: { listener: public, method: POST, path: "/v1/items/{sku}/reserve" }
    to: { upstream: inventory, rpc: inventory.v1.Inventory/ReserveItem }
)";

TEST(RestToGrpc, PathVariablesQueryAndBodyBecomeTheRequestMessage) {
  InventoryServer upstream;
  CausewayProcess causeway(grpc_config("  inventory: { type: grpc, address: " + upstream.address() + " }\n",
                                       kRestRoutes));
  auto got = http(causeway.listener(), "GET", "/v1/items/A1?include_history=true", {{"x-tenant", "t3"}});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.header("content-type"), "application/json");
  EXPECT_EQ(got.json(), boost::json::parse(R"({"sku":"A1","name":"Widget","quantity":3,"tags":["blue"]})"));
  auto calls = upstream.service().calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].include_history);
  EXPECT_EQ(seen(calls[0], "x-tenant"), "t3");

  auto reserved = http(causeway.listener(), "POST", "/v1/items/B2/reserve", {{"content-type", "application/json"}},
                       R"({"quantity": 5})");
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  EXPECT_EQ(reserved.json(), boost::json::parse(R"({"id":"r-B2","sku":"B2","quantity":5})"));
}

TEST(RestToGrpc, BadJsonIs400AndGrpcErrorsBecomeHttpStatuses) {
  InventoryServer upstream;
  CausewayProcess causeway(grpc_config("  inventory: { type: grpc, address: " + upstream.address() + ", timeout: 2s }\n",
                                       kRestRoutes));
  auto bad = http(causeway.listener(), "POST", "/v1/items/B2/reserve", {{"content-type", "application/json"}},
                  R"({"quantity": "lots"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error(), "bad_request");
  EXPECT_NE(bad.json().at("message").as_string().find("quantity"), std::string::npos) << bad.body;
  EXPECT_TRUE(upstream.service().calls().empty());
  EXPECT_EQ(metric(causeway.admin(), "causeway_transcode_errors_total", {{"route", "reserve-item"}, {"direction", "request"}}), 1);

  auto missing = http(causeway.listener(), "GET", "/v1/items/missing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error(), "not_found");
  EXPECT_EQ(missing.json().at("message").as_string(), "no item missing");

  upstream.stop();
  auto down = http(causeway.listener(), "GET", "/v1/items/A1");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(metric(causeway.admin(), "causeway_upstream_requests_total", {{"upstream", "inventory"}, {"code", "UNAVAILABLE"}}), 1);
}

TEST(GrpcDelivery, TopicMessagesAreCalledAsTheRoutesMethod) {
  InventoryServer upstream;
  CausewayProcess causeway(grpc_config("  inventory: { type: grpc, address: " + upstream.address() + " }\n",
                                       R"(  - name: reserve-binary
    from: { broker: events, topic: reservations, group: reservers }
    to: { upstream: inventory, rpc: inventory.v1.Inventory/ReserveItem }
  - name: reserve-json
    from: { broker: events, topic: reservations.json, group: reservers-json }
    to: { upstream: inventory, rpc: inventory.v1.Inventory/ReserveItem }
    encoding: json
    dead_letter: reservations.json.dlq
)"));
  for (const std::string route : {"reserve-binary", "reserve-json"}) {
    ASSERT_TRUE(causeway.wait_for_log("route '" + route + "': assigned [1-9]", 20s)) << causeway.log();
  }
  TopicWriter writer(causeway.broker());
  inv::ReserveRequest request;
  request.set_sku("K1");
  request.set_quantity(7);
  writer.write("reservations", "k1", request.SerializeAsString());
  writer.write("reservations.json", "k2", R"({"sku":"J1","quantity":2})");
  writer.write("reservations.json", "k3", R"({"sku":"J2","quantity":"many"})");

  ASSERT_TRUE(upstream.service().wait_calls(2, 20s)) << causeway.log();
  std::set<std::string> skus;
  for (const auto& call : upstream.service().calls()) skus.insert(call.sku + ":" + std::to_string(call.quantity));
  EXPECT_EQ(skus, (std::set<std::string>{"K1:7", "J1:2"}));

  // The value that is no ReserveRequest in JSON is dead-lettered, never called.
  auto dead = TopicReader(causeway.broker(), "reservations.json.dlq").read(1, 20s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, R"({"sku":"J2","quantity":"many"})");
  EXPECT_EQ(upstream.service().calls().size(), 2u);
  EXPECT_EQ(metric(causeway.admin(), "causeway_deliveries_total", {{"route", "reserve-binary"}, {"result", "success"}}), 1);
}

TEST(GrpcDelivery, UnavailableIsRetriedAndNotFoundIsDeadLettered) {
  InventoryServer upstream;
  CausewayProcess causeway(grpc_config("  inventory: { type: grpc, address: " + upstream.address() + " }\n",
                                       R"(  - name: reserve
    from: { broker: events, topic: reservations, group: reservers }
    to: { upstream: inventory, rpc: inventory.v1.Inventory/ReserveItem }
    retry: { attempts: 5, backoff: 20ms, max_backoff: 100ms }
    dead_letter: reservations.dlq
)"));
  ASSERT_TRUE(causeway.wait_for_log("route 'reserve': assigned [1-9]", 20s)) << causeway.log();
  TopicWriter writer(causeway.broker());
  inv::ReserveRequest flaky, gone;
  flaky.set_sku("flaky");
  gone.set_sku("gone");
  writer.write("reservations", "a", flaky.SerializeAsString());
  writer.write("reservations", "b", gone.SerializeAsString());

  auto dead = TopicReader(causeway.broker(), "reservations.dlq").read(1, 20s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, gone.SerializeAsString());
  EXPECT_EQ(dead[0].header("dlt-attempts"), "1") << "NOT_FOUND is not retried";
  EXPECT_TRUE(eventually([&] { return metric(causeway.admin(), "causeway_deliveries_total",
                                             {{"route", "reserve"}, {"result", "success"}}) == 1; }, 10s));
  EXPECT_EQ(metric(causeway.admin(), "causeway_deliveries_total", {{"route", "reserve"}, {"result", "retry"}}), 2);
  std::size_t flaky_calls = 0;
  for (const auto& call : upstream.service().calls()) flaky_calls += call.sku == "flaky" ? 1 : 0;
  EXPECT_EQ(flaky_calls, 3u) << "two UNAVAILABLE, then OK";
  EXPECT_EQ(metric(causeway.admin(), "causeway_upstream_requests_total", {{"upstream", "inventory"}, {"code", "UNAVAILABLE"}}), 2);
}

TEST(GrpcListener, HealthIsServingWhenReadyAndReflectionListsTheServices) {
  CausewayProcess causeway(grpc_config("", R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/ReserveItem }
    to: { broker: events, topic: items.reserved }
)"));
  auto channel = grpc::CreateChannel(causeway.listener("rpc").text(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const std::string service : {"", "inventory.v1.Inventory"}) {
    grpc::ClientContext context;
    with_deadline(context);
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    auto status = health->Check(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << "service '" << service << "'";
  }
  {
    grpc::ClientContext context;
    with_deadline(context);
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("nobody.Knows");
    grpc::health::v1::HealthCheckResponse response;
    EXPECT_EQ(health->Check(&context, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  }

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  with_deadline(context);
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest ask;
  ask.set_list_services("");
  ASSERT_TRUE(stream->Write(ask));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  std::set<std::string> services;
  for (const auto& service : answer.list_services_response().service()) services.insert(service.name());
  EXPECT_TRUE(services.contains("inventory.v1.Inventory"));
  EXPECT_TRUE(services.contains("grpc.health.v1.Health"));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(GrpcConfig, AMethodTheProtosLackIsAConfigErrorAtItsPosition) {
  TempDir dir;
  const auto file = dir.write("grpc.yaml", grpc_config("", R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/Reserve }
    to: { broker: events, topic: items.reserved }
)"));
  auto result = run_command({CAUSEWAY_BIN, "validate", file.string()});
  EXPECT_NE(result.exit_code, 0);
  // The route is the last thing in the file: line 12, the rpc's value at column 33.
  EXPECT_NE(result.output.find(file.string() + ":12:33: routes[0].from.rpc: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Inventory/Reserve"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("ReserveItem"), std::string::npos) << "the methods there are" << result.output;

  const auto streaming = dir.write("streaming.yaml", grpc_config("", R"(  - name: watch
    from: { listener: rpc, rpc: inventory.v1.Inventory/WatchItems }
    to: { broker: events, topic: items.watched }
)"));
  auto refused = run_command({CAUSEWAY_BIN, "validate", streaming.string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("streaming"), std::string::npos) << refused.output;
}

// inventory.proto's annotations: GetItem is GET /v1/items/{sku}; ReserveItem is
// POST /v1/items/{sku}:reserve (a custom verb, left out) and PUT
// /v1/orders/{order.id}/reservation with the body as the order; ListItems is GET /v1/items
// with the items alone as the response.
TEST(RestToGrpc, AnnotatedProtosBringTheirOwnRoutes) {
  InventoryServer upstream;
  CausewayProcess causeway(grpc_config("  inventory: { type: grpc, address: " + upstream.address() + " }\n",
                                       R"(  - name: inventory-rest
    from: { listener: public }
    to: { upstream: inventory, rpc: "inventory.v1.Inventory/*" }
)"));
  EXPECT_NE(causeway.log().find("POST /v1/items/{sku}:reserve of inventory.v1.Inventory/ReserveItem"), std::string::npos)
      << "the binding left out is named in the log:\n" << causeway.log();

  auto got = http(causeway.listener(), "GET", "/v1/items/A1?include_history=true");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json().at("name").as_string(), "Widget");

  auto reserved = http(causeway.listener(), "PUT", "/v1/orders/o-7/reservation", {{"content-type", "application/json"}},
                       R"({"customer": "c1"})");
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  auto calls = upstream.service().calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_TRUE(calls[0].include_history);
  EXPECT_EQ(calls[1].method, "ReserveItem");

  // ListItems is not served by the test service: its UNIMPLEMENTED comes back as 501.
  EXPECT_EQ(http(causeway.listener(), "GET", "/v1/items").status, 501);
  EXPECT_EQ(http(causeway.listener(), "DELETE", "/v1/items/A1").status, 405);
  EXPECT_EQ(metric(causeway.admin(), "causeway_requests_total", {{"route", "inventory-rest"}}), 3);
}

TEST(GrpcConfig, AnAnnotatedBindingThatClashesWithARouteIsAConfigError) {
  TempDir dir;
  const auto file = dir.write("clash.yaml", grpc_config("  inventory: { type: grpc, address: 127.0.0.1:1 }\n", R"(  - name: items
    from: { listener: public, method: GET, path: "/v1/items/{id}" }
    to: { status: 200 }
  - name: inventory-rest
    from: { listener: public }
    to: { upstream: inventory, rpc: "inventory.v1.Inventory/*" }
)"));
  auto result = run_command({CAUSEWAY_BIN, "validate", file.string()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("routes[1].to.rpc: binding GET /v1/items/{sku} of inventory.v1.Inventory/GetItem is "
                               "ambiguous with route 'items'"),
            std::string::npos)
      << result.output;
}

TEST(GrpcListener, AReloadKeepsTheListenerAndItsConnectionsAndSwitchesTheRoutes) {
  const std::string reserve = R"(  - name: reserve
    from: { listener: rpc, rpc: inventory.v1.Inventory/ReserveItem }
    to: { broker: events, topic: items.reserved }
)";
  const std::string lookup = R"(  - name: lookup
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { broker: events, topic: items.looked-up }
)";
  CausewayProcess causeway(grpc_config("", reserve));
  UnwatchedConfig file(causeway);
  auto stub = inventory_stub(causeway.listener("rpc"));  // one channel, one connection, for the whole test
  auto reserve_status = [&] {
    grpc::ClientContext context;
    with_deadline(context);
    inv::Reservation reservation;
    return stub->ReserveItem(&context, inv::ReserveRequest(), &reservation).error_code();
  };
  auto lookup_status = [&] {
    grpc::ClientContext context;
    with_deadline(context);
    inv::Item item;
    return stub->GetItem(&context, inv::GetItemRequest(), &item).error_code();
  };
  EXPECT_EQ(reserve_status(), grpc::StatusCode::OK);
  EXPECT_EQ(lookup_status(), grpc::StatusCode::UNIMPLEMENTED);

  file.write(grpc_config("", lookup));
  auto answer = post_reload(causeway.admin());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("listener 'rpc' kept"), std::string::npos) << answer.body;
  EXPECT_EQ(lookup_status(), grpc::StatusCode::OK);
  EXPECT_EQ(reserve_status(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST(GrpcListener, ACallInFlightAtSigtermIsAnsweredBeforeTheExit) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.body = R"({"name":"slow"})", .delay = 1s}; });
  CausewayProcess causeway(grpc_config("  items-http: { url: " + service.url() + " }\n", R"(  - name: lookup
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to: { upstream: items-http, path: /items/lookup }
)"));
  auto stub = inventory_stub(causeway.listener("rpc"));
  auto call = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    with_deadline(context);
    inv::Item item;
    auto status = stub->GetItem(&context, inv::GetItemRequest(), &item);
    return std::pair{status.error_code(), item.name()};
  });
  ASSERT_TRUE(service.wait_requests(1, 5s));
  causeway.signal(SIGTERM);
  auto [code, name] = call.get();
  EXPECT_EQ(code, grpc::StatusCode::OK);
  EXPECT_EQ(name, "slow");
  EXPECT_EQ(causeway.wait_exit(10s), 0) << causeway.log();
}

// The README's gRPC example, whose proto paths are relative to the repository.
TEST(GrpcConfig, TheExampleConfigIsValid) {
  auto result = run_command(
      {"/bin/sh", "-c", std::string("cd '") + SOURCE_DIR + "' && '" + CAUSEWAY_BIN + "' validate config/examples/grpc.yaml"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace causeway::testing
