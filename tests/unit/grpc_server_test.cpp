// GrpcServer against real generated clients on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>

#include "bridge/body_stream.h"
#include "bridge/failure.h"
#include "grpc/byte_buffers.h"
#include "grpc/grpc_server.h"
#include "grpc/grpc_timeout.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpc_test_catalog.h"
#include "inventory.grpc.pb.h"
#include "metrics/registry.h"

namespace causeway::grpc {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Script = std::function<void(bridge::Request, bridge::Responder)>;
namespace health = ::grpc::health::v1;
namespace reflection = ::grpc::reflection::v1alpha;

class ScriptedHandler : public bridge::RequestHandler {
 public:
  explicit ScriptedHandler(Script script) : script_(std::move(script)) {}
  void handle(bridge::Request request, bridge::Responder respond) override {
    ++calls;
    script_(std::move(request), std::move(respond));
  }
  std::atomic<int> calls{0};

 private:
  Script script_;
};

bridge::Response ok_with(const google::protobuf::Message& message, bridge::Headers headers = {}) {
  return {200, std::move(headers), message.SerializeAsString()};
}

struct Listener {
  explicit Listener(Script script, GrpcLimits limits = {}, int threads = 1)
      : handler(std::make_shared<ScriptedHandler>(std::move(script))),
        server(GrpcServerOptions{"test", "127.0.0.1:0", limits, threads}, handler, registry) {
    server.start();
    channel = ::grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()), ::grpc::InsecureChannelCredentials());
    // Connected before the first call: a call fails at once when the channel's first connect
    // does (once on a fresh machine: "ipv4:127.0.0.1:41629: No such file or directory"), and
    // the channel retries within this wait. A server that never answers still fails the call.
    channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  std::unique_ptr<inventory::v1::Inventory::Stub> inventory() { return inventory::v1::Inventory::NewStub(channel); }

  // Polls the metrics: a call is counted once the listener is done with it, which may
  // be a moment after the client got its answer.
  bool counted(std::string_view code, int times) {
    const std::string sample =
        "causeway_grpc_calls_total{listener=\"test\",code=\"" + std::string(code) + "\"} " + std::to_string(times);
    for (int i = 0; i < 100; ++i) {
      if (registry.render().find(sample) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  metrics::Registry registry;
  std::shared_ptr<ScriptedHandler> handler;
  GrpcServer server;
  std::shared_ptr<::grpc::Channel> channel;
};

void bounded(::grpc::ClientContext& context, std::chrono::milliseconds timeout = 2s) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

TEST(GrpcServer, AUnaryCallBecomesABridgeRequestAndTheResponseItsAnswer) {
  bridge::Request seen;
  Listener listener([&](bridge::Request request, bridge::Responder respond) {
    seen = request;
    inventory::v1::GetItemRequest asked;
    asked.ParseFromString(request.body);
    inventory::v1::Item item;
    item.set_sku(asked.sku());
    item.set_quantity(7);
    respond(ok_with(item, {{"x-served-by", "causeway"}, {"content-type", "application/protobuf"}}));
  });

  ::grpc::ClientContext context;
  bounded(context, 1500ms);
  context.AddMetadata("x-tenant", "t1");
  inventory::v1::GetItemRequest request;
  request.set_sku("A1");
  inventory::v1::Item item;
  const ::grpc::Status status = listener.inventory()->GetItem(&context, request, &item);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.sku(), "A1");
  EXPECT_EQ(item.quantity(), 7);
  const auto served = context.GetServerInitialMetadata().find("x-served-by");
  ASSERT_NE(served, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(served->second.data(), served->second.size()), "causeway");

  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/inventory.v1.Inventory/GetItem");
  EXPECT_EQ(seen.body, request.SerializeAsString());
  EXPECT_EQ(*bridge::find_header(seen.headers, "content-type"), "application/protobuf");
  EXPECT_EQ(*bridge::find_header(seen.headers, "x-tenant"), "t1");
  const std::string* timeout = bridge::find_header(seen.headers, "grpc-timeout");
  ASSERT_NE(timeout, nullptr);
  const auto left = parse_timeout(*timeout);
  ASSERT_TRUE(left.has_value()) << *timeout;
  EXPECT_GT(*left, 500ms);
  // At most what the caller gave. gRPC core keeps the deadline on its own cached clock and
  // converts it to system_clock when asked, which was seen 9 ms off (1509 ms, fresh-machine).
  EXPECT_LE(*left, 1500ms + 20ms);
  EXPECT_TRUE(listener.counted("OK", 1));
}

TEST(GrpcServer, ConcurrentCallsAreAllAnsweredOnTwoQueues) {
  std::mutex mutex;
  std::vector<std::thread> answering;
  Listener listener(
      [&](bridge::Request request, bridge::Responder respond) {
        inventory::v1::GetItemRequest asked;
        asked.ParseFromString(request.body);
        inventory::v1::Item item;
        item.set_sku(asked.sku());
        if (asked.sku().back() % 2) return respond(ok_with(item));  // at once, on the queue's thread
        std::lock_guard lock(mutex);
        answering.emplace_back([respond, item] { respond(ok_with(item)); });
      },
      {}, 2);
  constexpr int kClients = 8;
  constexpr int kCalls = 25;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      auto stub = listener.inventory();
      for (int call = 0; call < kCalls; ++call) {
        ::grpc::ClientContext context;
        bounded(context);
        inventory::v1::GetItemRequest request;
        request.set_sku("sku-" + std::to_string(client) + "-" + std::to_string(call));
        inventory::v1::Item item;
        if (stub->GetItem(&context, request, &item).ok() && item.sku() == request.sku()) ++answered;
      }
    });
  }
  for (auto& thread : clients) thread.join();
  {
    std::lock_guard lock(mutex);
    for (auto& thread : answering) thread.join();
  }
  EXPECT_EQ(answered, kClients * kCalls);
  EXPECT_TRUE(listener.counted("OK", kClients * kCalls));
}

TEST(GrpcServer, AnswersFromOtherThreadsAndErrorsWithTheirMessageAndMetadata) {
  std::vector<std::thread> answering;
  Listener listener([&](bridge::Request, bridge::Responder respond) {
    answering.emplace_back([respond] {
      std::this_thread::sleep_for(20ms);
      respond(bridge::failure_response(bridge::Failure::rate_limited, "route 'get-item' is at its limit", "get-item"));
    });
  });
  ::grpc::ClientContext context;
  bounded(context);
  inventory::v1::Item item;
  const ::grpc::Status status = listener.inventory()->GetItem(&context, {}, &item);
  for (auto& thread : answering) thread.join();

  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "route 'get-item' is at its limit");
  EXPECT_EQ(context.GetServerTrailingMetadata().count("retry-after"), 1u);
  EXPECT_TRUE(listener.counted("RESOURCE_EXHAUSTED", 1));
}

TEST(GrpcServer, BinaryMetadataTravelsBothWays) {
  std::string seen;
  Listener listener([&](bridge::Request request, bridge::Responder respond) {
    seen = *bridge::find_header(request.headers, "trace-bin");
    respond(ok_with(inventory::v1::Item(), {{"reply-bin", "AP8Q"}}));
  });
  ::grpc::ClientContext context;
  bounded(context);
  context.AddMetadata("trace-bin", std::string("\x01\x02\xff", 3));
  inventory::v1::Item item;
  ASSERT_TRUE(listener.inventory()->GetItem(&context, {}, &item).ok());
  EXPECT_EQ(seen, "AQL/");
  const auto reply = context.GetServerInitialMetadata().find("reply-bin");
  ASSERT_NE(reply, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(reply->second.data(), reply->second.size()), std::string("\x00\xff\x10", 3));
}

TEST(GrpcServer, UnknownMethodsGoToTheHandler) {
  Listener listener([](bridge::Request request, bridge::Responder respond) {
    if (request.path == "/nope.Service/Call") {
      respond(bridge::failure_response(bridge::Failure::not_found, "no route for " + request.path));
    } else {
      respond({404, {{"content-type", "application/json"}}, R"({"message":"no item A1"})"});
    }
  });

  ::grpc::GenericStub generic(listener.channel);
  ::grpc::ClientContext context;
  bounded(context);
  const ::grpc::ByteBuffer request = buffer_of("anything");
  ::grpc::ByteBuffer response;
  std::promise<::grpc::Status> done;
  generic.UnaryCall(&context, "/nope.Service/Call", ::grpc::StubOptions(), &request, &response,
                    [&](::grpc::Status status) { done.set_value(status); });
  auto result = done.get_future();
  ASSERT_EQ(result.wait_for(2s), std::future_status::ready);
  const ::grpc::Status status = result.get();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(status.error_message(), "no route for /nope.Service/Call");

  ::grpc::ClientContext missing;
  bounded(missing);
  inventory::v1::Item item;
  const ::grpc::Status not_found = listener.inventory()->GetItem(&missing, {}, &item);
  EXPECT_EQ(not_found.error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(not_found.error_message(), "no item A1");
}

TEST(GrpcServer, MessagesOverTheLimitAreRefusedBeforeTheHandler) {
  GrpcLimits limits;
  limits.max_receive_message_bytes = 1024;
  Listener listener([](bridge::Request, bridge::Responder respond) { respond(ok_with(inventory::v1::Item())); }, limits);
  ::grpc::ClientContext context;
  bounded(context);
  inventory::v1::GetItemRequest request;
  request.set_sku(std::string(4096, 'x'));
  inventory::v1::Item item;
  const ::grpc::Status status = listener.inventory()->GetItem(&context, request, &item);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(listener.handler->calls, 0);
}

TEST(GrpcServer, TheCallersDeadlineHoldsAndLateAnswersAreDropped) {
  std::promise<bridge::Responder> held;
  Listener listener([&](bridge::Request, bridge::Responder respond) { held.set_value(std::move(respond)); });
  ::grpc::ClientContext context;
  bounded(context, 200ms);
  inventory::v1::Item item;
  const ::grpc::Status status = listener.inventory()->GetItem(&context, {}, &item);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED);

  auto responder = held.get_future();
  ASSERT_EQ(responder.wait_for(1s), std::future_status::ready);
  EXPECT_TRUE(listener.counted("DEADLINE_EXCEEDED", 1));
  responder.get()(ok_with(inventory::v1::Item()));  // nobody waits any more: dropped, not a crash
}

TEST(GrpcServer, AServerStreamingCallAnsweredWithoutAStreamIsUnimplemented) {
  Listener listener([](bridge::Request, bridge::Responder respond) { respond(ok_with(inventory::v1::Item())); });
  listener.server.set_catalog(testing::inventory_catalog());
  ::grpc::ClientContext context;
  bounded(context);
  auto reader = listener.inventory()->WatchItems(&context, {});
  inventory::v1::Item item;
  EXPECT_FALSE(reader->Read(&item));
  const ::grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), HasSubstr("server streaming"));
}

// A handler that answers with a stream the test feeds.
struct StreamingListener {
  explicit StreamingListener(std::size_t buffer = 64 * 1024)
      : listener([this, buffer](bridge::Request request, bridge::Responder respond) {
          auto body = std::make_shared<bridge::BodyStream>(buffer, 1h, "");
          body->on_end([this](const std::string& reason) { ended.set_value(reason); });
          asked.set_value(request);
          bodies.set_value(body);
          respond(bridge::Response{200, {}, {}, body});
        }) {
    listener.server.set_catalog(testing::inventory_catalog());
  }
  std::promise<bridge::Request> asked;
  std::promise<std::shared_ptr<bridge::BodyStream>> bodies;
  std::promise<std::string> ended;
  Listener listener;
};

std::string item_bytes(const std::string& sku) {
  inventory::v1::Item item;
  item.set_sku(sku);
  return item.SerializeAsString();
}

TEST(GrpcServer, AStreamsChunksAreItsMessagesAndItsEndTheStatus) {
  StreamingListener streaming;
  ::grpc::ClientContext context;
  bounded(context);
  inventory::v1::GetItemRequest request;
  request.set_sku("A1");
  auto reader = streaming.listener.inventory()->WatchItem(&context, request);
  reader->WaitForInitialMetadata();  // sent once the stream is open, before any message
  auto body = streaming.bodies.get_future().get();
  EXPECT_EQ(streaming.asked.get_future().get().body, request.SerializeAsString());
  body->push(item_bytes("one"));
  body->push(item_bytes("two"));
  inventory::v1::Item item;
  ASSERT_TRUE(reader->Read(&item));
  EXPECT_EQ(item.sku(), "one");
  ASSERT_TRUE(reader->Read(&item));
  EXPECT_EQ(item.sku(), "two");
  body->push(item_bytes("three"));
  body->end(bridge::BodyStream::kBroker);  // what was pushed before the end still goes out
  ASSERT_TRUE(reader->Read(&item));
  EXPECT_EQ(item.sku(), "three");
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_EQ(reader->Finish().error_code(), ::grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(streaming.listener.counted("UNAVAILABLE", 1));
}

TEST(GrpcServer, ASlowReaderIsResourceExhausted) {
  StreamingListener streaming(1024);
  ::grpc::ClientContext context;
  bounded(context);
  auto reader = streaming.listener.inventory()->WatchItems(&context, {});
  reader->WaitForInitialMetadata();
  auto body = streaming.bodies.get_future().get();
  EXPECT_FALSE(body->push(std::string(2048, 'x')));  // more than the client may have waiting
  EXPECT_EQ(streaming.ended.get_future().get(), bridge::BodyStream::kSlowReader);
  inventory::v1::Item item;
  EXPECT_FALSE(reader->Read(&item));
  const ::grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("too slowly"));
}

TEST(GrpcServer, AClientThatCancelsEndsItsStream) {
  StreamingListener streaming;
  ::grpc::ClientContext context;
  bounded(context);
  auto reader = streaming.listener.inventory()->WatchItems(&context, {});
  reader->WaitForInitialMetadata();
  auto body = streaming.bodies.get_future().get();
  context.TryCancel();
  auto ended = streaming.ended.get_future();
  ASSERT_EQ(ended.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(ended.get(), bridge::BodyStream::kClientClosed);
  EXPECT_FALSE(body->push(item_bytes("late")));
  EXPECT_TRUE(streaming.listener.counted("CANCELLED", 1));
}

TEST(GrpcServer, ShuttingDownEndsStreamsUnavailableAtOnce) {
  StreamingListener streaming;
  ::grpc::ClientContext context;
  bounded(context, 5s);
  auto reader = streaming.listener.inventory()->WatchItems(&context, {});
  reader->WaitForInitialMetadata();
  streaming.bodies.get_future().get();
  const auto started = std::chrono::steady_clock::now();
  std::thread stopping([&] { streaming.listener.server.shutdown(3s); });
  inventory::v1::Item item;
  EXPECT_FALSE(reader->Read(&item));
  const ::grpc::Status status = reader->Finish();
  stopping.join();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "not held for the whole grace";
  EXPECT_EQ(streaming.ended.get_future().get(), bridge::BodyStream::kDraining);
}

TEST(GrpcServer, HealthFollowsTheProbe) {
  Listener listener([](bridge::Request, bridge::Responder) {});
  listener.server.set_catalog(testing::inventory_catalog());
  auto stub = health::Health::NewStub(listener.channel);
  const auto check = [&](const std::string& service, health::HealthCheckResponse& response) {
    ::grpc::ClientContext context;
    bounded(context);
    health::HealthCheckRequest request;
    request.set_service(service);
    return stub->Check(&context, request, &response);
  };

  health::HealthCheckResponse response;
  ASSERT_TRUE(check("", response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);
  ASSERT_TRUE(check("inventory.v1.Inventory", response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);
  EXPECT_EQ(check("shop.Shop", response).error_code(), ::grpc::StatusCode::NOT_FOUND);

  std::atomic<bool> ready{false};
  listener.server.set_health([&](std::string_view) { return ready ? HealthStatus::serving : HealthStatus::not_serving; });
  ASSERT_TRUE(check("", response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::NOT_SERVING);
  ready = true;
  ASSERT_TRUE(check("", response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);

  ::grpc::ClientContext watch;
  bounded(watch);
  auto stream = stub->Watch(&watch, {});
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(listener.handler->calls, 0);
}

TEST(GrpcServer, ReflectionServesTheCatalog) {
  Listener listener([](bridge::Request, bridge::Responder) {});
  listener.server.set_catalog(testing::inventory_catalog());
  auto stub = reflection::ServerReflection::NewStub(listener.channel);
  ::grpc::ClientContext context;
  bounded(context);
  auto stream = stub->ServerReflectionInfo(&context);
  const auto ask = [&](const reflection::ServerReflectionRequest& request) {
    reflection::ServerReflectionResponse response;
    EXPECT_TRUE(stream->Write(request));
    EXPECT_TRUE(stream->Read(&response));
    return response;
  };

  reflection::ServerReflectionRequest list;
  list.set_list_services("");
  const auto services = ask(list).list_services_response();
  ASSERT_EQ(services.service_size(), 3);
  EXPECT_EQ(services.service(0).name(), "inventory.v1.Inventory");
  EXPECT_EQ(services.service(1).name(), "grpc.health.v1.Health");
  EXPECT_EQ(services.service(2).name(), "grpc.reflection.v1alpha.ServerReflection");

  reflection::ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("inventory.v1.Inventory.ReserveItem");
  const auto files = ask(symbol);
  ASSERT_TRUE(files.has_file_descriptor_response()) << files.DebugString();
  EXPECT_EQ(files.original_request().file_containing_symbol(), "inventory.v1.Inventory.ReserveItem");
  // The file and its imports are enough to describe the method, as grpcurl does.
  google::protobuf::SimpleDescriptorDatabase database;
  std::string first;
  for (const auto& bytes : files.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    if (first.empty()) first = file.name();
    database.Add(file);
  }
  EXPECT_EQ(first, "inventory.proto");
  google::protobuf::DescriptorPool pool(&database);
  const auto* method = pool.FindMethodByName("inventory.v1.Inventory.ReserveItem");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->input_type()->FindFieldByName("order")->message_type()->full_name(), "inventory.v1.Order");

  reflection::ServerReflectionRequest by_name;
  by_name.set_file_by_filename("grpc/health/v1/health.proto");
  EXPECT_TRUE(ask(by_name).has_file_descriptor_response());

  reflection::ServerReflectionRequest extension;
  extension.mutable_file_containing_extension()->set_containing_type("google.protobuf.MethodOptions");
  extension.mutable_file_containing_extension()->set_extension_number(72295728);
  const auto annotations = ask(extension);
  ASSERT_TRUE(annotations.has_file_descriptor_response());
  google::protobuf::FileDescriptorProto annotations_file;
  annotations_file.ParseFromString(annotations.file_descriptor_response().file_descriptor_proto(0));
  EXPECT_EQ(annotations_file.name(), "google/api/annotations.proto");

  reflection::ServerReflectionRequest numbers;
  numbers.set_all_extension_numbers_of_type("google.protobuf.MethodOptions");
  const auto extension_numbers = ask(numbers).all_extension_numbers_response();
  EXPECT_THAT(extension_numbers.extension_number(), ::testing::Contains(72295728));

  reflection::ServerReflectionRequest unknown;
  unknown.set_file_containing_symbol("shop.Shop");
  const auto missing = ask(unknown);
  ASSERT_TRUE(missing.has_error_response());
  EXPECT_EQ(missing.error_response().error_code(), static_cast<int>(::grpc::StatusCode::NOT_FOUND));

  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(listener.handler->calls, 0);
}

TEST(GrpcServer, ABusyPortIsAnErrorNamingTheAddress) {
  Listener first([](bridge::Request, bridge::Responder) {});
  metrics::Registry registry;
  const std::string address = "127.0.0.1:" + std::to_string(first.server.port());
  GrpcServer second(GrpcServerOptions{"second", address, {}, 1},
                    std::make_shared<ScriptedHandler>([](bridge::Request, bridge::Responder) {}), registry);
  try {
    second.start();
    FAIL() << "bound twice";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("gRPC listener 'second': cannot listen on " + address));
  }
}

TEST(GrpcServer, ShutdownCancelsCallsPastTheGraceAndDropsTheirAnswers) {
  std::promise<bridge::Responder> held;
  Listener listener([&](bridge::Request, bridge::Responder respond) { held.set_value(std::move(respond)); });
  auto stub = listener.inventory();
  auto call = std::async(std::launch::async, [&] {
    ::grpc::ClientContext context;
    bounded(context);
    inventory::v1::Item item;
    return stub->GetItem(&context, {}, &item);
  });
  auto responder = held.get_future();
  ASSERT_EQ(responder.wait_for(1s), std::future_status::ready);
  const auto started = std::chrono::steady_clock::now();
  listener.server.shutdown(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  ASSERT_EQ(call.wait_for(1s), std::future_status::ready);
  EXPECT_FALSE(call.get().ok());
  responder.get()(ok_with(inventory::v1::Item()));  // after the listener stopped: dropped
}

}  // namespace
}  // namespace causeway::grpc
