#pragma once
// inventory.v1.Inventory (tests/proto/inventory.proto) as a real gRPC service on
// loopback, recording every call: the upstream of the gRPC tests of both brokers.

#include <grpcpp/client_context.h>
#include <grpcpp/server.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness.h"
#include "inventory.grpc.pb.h"

namespace causeway::testing {

// What the gRPC service saw of one call.
struct SeenCall {
  std::string method;
  std::string sku;
  int quantity = 0;
  bool include_history = false;
  std::multimap<std::string, std::string> metadata;
  std::chrono::system_clock::time_point deadline;
};

// sku "missing" is NOT_FOUND for GetItem; for ReserveItem "flaky" is UNAVAILABLE the
// first two times and "gone" NOT_FOUND always.
class InventoryService final : public inventory::v1::Inventory::Service {
 public:
  grpc::Status GetItem(grpc::ServerContext* context, const inventory::v1::GetItemRequest* request,
                       inventory::v1::Item* item) override;
  grpc::Status ReserveItem(grpc::ServerContext* context, const inventory::v1::ReserveRequest* request,
                           inventory::v1::Reservation* reservation) override;

  std::vector<SeenCall> calls() const;
  bool wait_calls(std::size_t count, Duration timeout) const;

 private:
  void record(grpc::ServerContext* context, std::string method, std::string sku, int quantity, bool history);
  mutable std::mutex mutex_;
  std::vector<SeenCall> calls_;
  std::atomic<int> flaky_calls_{0};
};

// A client of inventory.v1.Inventory at `address` (Causeway's gRPC listener, say).
std::unique_ptr<inventory::v1::Inventory::Stub> inventory_stub(const Address& address);
void with_deadline(grpc::ClientContext& context, Duration timeout = std::chrono::seconds(10));

class InventoryServer {
 public:
  InventoryServer();  // listening on a free loopback port
  ~InventoryServer() { stop(); }
  void stop();
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  InventoryService& service() { return service_; }

 private:
  InventoryService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace causeway::testing
