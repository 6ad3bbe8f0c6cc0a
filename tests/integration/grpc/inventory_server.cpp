#include "inventory_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

namespace causeway::testing {

namespace inv = inventory::v1;

grpc::Status InventoryService::GetItem(grpc::ServerContext* context, const inv::GetItemRequest* request,
                                       inv::Item* item) {
  record(context, "GetItem", request->sku(), 0, request->include_history());
  if (request->sku() == "missing") return {grpc::StatusCode::NOT_FOUND, "no item missing"};
  item->set_sku(request->sku());
  item->set_name("Widget");
  item->set_quantity(3);
  item->add_tags("blue");
  return grpc::Status::OK;
}

grpc::Status InventoryService::ReserveItem(grpc::ServerContext* context, const inv::ReserveRequest* request,
                                           inv::Reservation* reservation) {
  record(context, "ReserveItem", request->sku(), request->quantity(), false);
  if (request->sku() == "flaky" && flaky_calls_.fetch_add(1) < 2) return {grpc::StatusCode::UNAVAILABLE, "try later"};
  if (request->sku() == "gone") return {grpc::StatusCode::NOT_FOUND, "no item gone"};
  reservation->set_id("r-" + request->sku());
  reservation->set_sku(request->sku());
  reservation->set_quantity(request->quantity());
  return grpc::Status::OK;
}

std::vector<SeenCall> InventoryService::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

bool InventoryService::wait_calls(std::size_t count, Duration timeout) const {
  return eventually([&] { return calls().size() >= count; }, timeout);
}

void InventoryService::record(grpc::ServerContext* context, std::string method, std::string sku, int quantity,
                              bool history) {
  SeenCall call{std::move(method), std::move(sku), quantity, history, {}, context->deadline()};
  for (const auto& [name, value] : context->client_metadata()) {
    call.metadata.emplace(std::string(name.data(), name.size()), std::string(value.data(), value.size()));
  }
  std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
}

std::unique_ptr<inv::Inventory::Stub> inventory_stub(const Address& address) {
  return inv::Inventory::NewStub(grpc::CreateChannel(address.text(), grpc::InsecureChannelCredentials()));
}

void with_deadline(grpc::ClientContext& context, Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

InventoryServer::InventoryServer() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
}

void InventoryServer::stop() {
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
}

}  // namespace causeway::testing
