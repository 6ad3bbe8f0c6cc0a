// gRPC over RabbitMQ, end to end: a generated gRPC client's calls become messages on an
// exchange or requests answered through a queue, and a queue is delivered to a real gRPC
// service, as they do over Kafka.
#include <gtest/gtest.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <boost/json.hpp>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_rabbitmq.h"
#include "inventory.grpc.pb.h"
#include "inventory_server.h"
#include "rabbit_bridge_fixture.h"

namespace causeway::testing {
namespace {

namespace inv = inventory::v1;

// rabbit_config() with a gRPC listener "rpc" and the test protos.
std::string grpc_rabbit_config(const std::string& routes, const std::string& upstreams = "") {
  std::string yaml = rabbit_config(routes, "", upstreams);
  const std::string protos = std::string("protos:\n  files: [") + TEST_PROTO_DIR + "/inventory.proto]\n  include: [" +
                             TEST_PROTO_DIR + "]\n";
  yaml.insert(yaml.find("brokers:"), "  rpc: { protocol: grpc, listen: 127.0.0.1:0 }\n" + protos);
  return yaml;
}


TEST(RabbitGrpc, ACallBecomesAMessageOnTheExchangeAfterTheConfirm) {
  bound_queue("items-g", "items-g.all", "#");
  CausewayProcess causeway(grpc_rabbit_config(
      "  - name: reserve\n"
      "    from: { listener: rpc, rpc: inventory.v1.Inventory/ReserveItem }\n"
      "    to: { broker: rabbit, exchange: items-g, routing_key: reserved }\n"
      "    headers: [x-tenant]\n"));
  inv::ReserveRequest request;
  request.set_sku("A1");
  request.set_quantity(2);
  grpc::ClientContext context;
  with_deadline(context);
  context.AddMetadata("x-tenant", "t1");
  inv::Reservation reservation;
  auto status = inventory_stub(causeway.listener("rpc"))->ReserveItem(&context, request, &reservation);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << causeway.log();

  auto seen = pika(
      "m, p, b = ch.basic_get('items-g.all', auto_ack=True)\n"
      "print(json.dumps({'key': m.routing_key, 'type': p.content_type, 'tenant': (p.headers or {}).get('x-tenant'),\n"
      "                  'id': p.correlation_id, 'body': b.hex()}))");
  auto message = boost::json::parse(seen).as_object();
  EXPECT_EQ(message.at("key"), "reserved");
  EXPECT_EQ(message.at("type"), "application/protobuf");
  EXPECT_EQ(message.at("tenant"), "t1");
  EXPECT_TRUE(message.at("id").is_string());
  std::string hex;
  for (unsigned char c : request.SerializeAsString()) {
    static const char* digits = "0123456789abcdef";
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  EXPECT_EQ(message.at("body").as_string(), hex) << "the request message's bytes";
}

TEST(RabbitGrpc, ARequestAnsweredThroughAQueueBecomesTheResponseMessage) {
  // GetItemRequest and Item share field 1 (sku): echoed bytes read as an Item.
  auto service = rabbit_responder("items-g.requests");
  CausewayProcess causeway(grpc_rabbit_config(
      "  - name: lookup\n"
      "    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }\n"
      "    to: { broker: rabbit, exchange: \"\", routing_key: items-g.requests, reply: direct, timeout: 5s }\n"));
  inv::GetItemRequest request;
  request.set_sku("A7");
  grpc::ClientContext context;
  with_deadline(context);
  inv::Item item;
  auto status = inventory_stub(causeway.listener("rpc"))->GetItem(&context, request, &item);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << causeway.log();
  EXPECT_EQ(item.sku(), "A7");
}

TEST(RabbitGrpc, QueueMessagesAreCalledAsTheRoutesMethodAndAPermanentErrorIsDeadLettered) {
  InventoryServer upstream;
  bound_queue("dlx-g", "dlx-g.all", "#");
  CausewayProcess causeway(grpc_rabbit_config(
      "  - name: reserve-json\n"
      "    from: { broker: rabbit, queue: reservations-g, bind: { exchange: reservations-x, routing_key: \"#\" } }\n"
      "    to: { upstream: inventory, rpc: inventory.v1.Inventory/ReserveItem }\n"
      "    encoding: json\n"
      "    retry: { attempts: 4, backoff: 20ms, max_backoff: 100ms }\n"
      "    dead_letter: { exchange: dlx-g }\n",
      "upstreams:\n  inventory: { type: grpc, address: " + upstream.address() + " }\n"));
  pika("for body in ['{\"sku\":\"J1\",\"quantity\":2}', '{\"sku\":\"flaky\",\"quantity\":1}', '{\"sku\":\"gone\"}']:\n"
       "  ch.basic_publish('reservations-x', 'r', body.encode())\n"
       "print('ok')");
  ASSERT_TRUE(upstream.service().wait_calls(5, 20s)) << causeway.log();  // J1, flaky x3, gone
  std::map<std::string, int> calls;
  for (const auto& call : upstream.service().calls()) ++calls[call.sku + ":" + std::to_string(call.quantity)];
  EXPECT_EQ(calls, (std::map<std::string, int>{{"J1:2", 1}, {"flaky:1", 3}, {"gone:0", 1}}));
  EXPECT_EQ(first_message("dlx-g.all", {}).at("body"), R"({"sku":"gone"})") << "NOT_FOUND is not retried";
  EXPECT_TRUE(rabbit::eventually([] { return queue_depth("reservations-g") == 0; }, 10s, 200ms));
}

}  // namespace
}  // namespace causeway::testing
