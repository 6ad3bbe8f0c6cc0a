#include "grpc/grpc_server.h"

#include <stdexcept>
#include <thread>
#include <vector>

#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include "bridge/body_stream.h"
#include "grpc/server_call.h"
#include "metrics/registry.h"

namespace causeway::grpc {

namespace {

// Calls asked for ahead on each queue, so a burst of new calls does not wait on one accept.
constexpr int kAcceptsAhead = 8;

int milliseconds(std::chrono::milliseconds duration) {
  return static_cast<int>(std::min<std::int64_t>(duration.count(), std::numeric_limits<int>::max()));
}

int clamped(std::size_t value) {
  return static_cast<int>(std::min<std::size_t>(value, std::numeric_limits<int>::max()));
}

void apply(const GrpcLimits& limits, const std::string& name, ::grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(clamped(limits.max_receive_message_bytes));
  builder.SetMaxSendMessageSize(clamped(limits.max_send_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, clamped(limits.max_metadata_bytes));
  if (limits.max_connection_age.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, milliseconds(limits.max_connection_age));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, milliseconds(limits.max_connection_age_grace));
  }
  if (limits.max_connection_idle.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, milliseconds(limits.max_connection_idle));
  }
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             milliseconds(limits.min_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, limits.max_ping_strikes);
  // Pings from idle clients are fine at that pace; they keep NATs and load balancers open.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // gRPC sets SO_REUSEPORT by default: a second process on the same port would silently
  // share the traffic instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ::grpc::ResourceQuota quota("causeway-grpc-" + name);
  quota.Resize(limits.memory_quota_bytes);
  builder.SetResourceQuota(quota);
}

}  // namespace

struct GrpcServer::Impl {
  GrpcServerOptions options;
  std::shared_ptr<ServerCore> core = std::make_shared<ServerCore>();
  std::unique_ptr<::grpc::Server> server;
  std::vector<std::thread> threads;
  int port = 0;
  std::mutex lifecycle;  // start and shutdown
  bool stopped = false;
};

GrpcServer::GrpcServer(GrpcServerOptions options, std::shared_ptr<bridge::RequestHandler> handler,
                       metrics::Registry& registry)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->core->name = impl_->options.name;
  auto& calls = registry.counter("causeway_grpc_calls_total", "gRPC calls on a listener by how they ended",
                                 {"listener", "code"});
  for (int code = 0; code < kCodeCount; ++code) {
    impl_->core->calls[code] = &calls.with({impl_->options.name, code_name(static_cast<Code>(code))});
  }
  set_handler(std::move(handler));
}

GrpcServer::~GrpcServer() { shutdown(std::chrono::milliseconds(0)); }

void GrpcServer::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->server || impl_->stopped) throw std::logic_error("gRPC listener started twice");
  const GrpcServerOptions& options = impl_->options;
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, ::grpc::InsecureServerCredentials(), &impl_->port);
  builder.RegisterAsyncGenericService(&impl_->core->service);
  apply(options.limits, options.name, builder);
  for (int i = 0; i < std::max(options.threads, 1); ++i) impl_->core->queues.push_back(builder.AddCompletionQueue());

  impl_->server = builder.BuildAndStart();
  if (!impl_->server || impl_->port == 0) {
    impl_->server.reset();
    for (auto& queue : impl_->core->queues) {
      queue->Shutdown();
      void* tag;
      bool ok;
      while (queue->Next(&tag, &ok)) {
      }
    }
    impl_->core->queues.clear();
    impl_->stopped = true;
    throw std::runtime_error("gRPC listener '" + options.name + "': cannot listen on " + options.address +
                             " (address in use, or not an address of this host)");
  }
  for (auto& queue : impl_->core->queues) {
    for (int i = 0; i < kAcceptsAhead; ++i) accept_call(impl_->core, *queue);
    impl_->threads.emplace_back([queue = queue.get()] { serve_queue(*queue); });
  }
}

std::uint16_t GrpcServer::port() const { return static_cast<std::uint16_t>(impl_->port); }

void GrpcServer::set_handler(std::shared_ptr<bridge::RequestHandler> handler) {
  impl_->core->update([&](ServerCore::Current& current) { current.handler = std::move(handler); });
}

void GrpcServer::set_catalog(std::shared_ptr<const ProtoCatalog> catalog) {
  impl_->core->update([&](ServerCore::Current& current) { current.catalog = std::move(catalog); });
}

void GrpcServer::set_health(HealthProbe probe) {
  impl_->core->update([&](ServerCore::Current& current) { current.health = std::move(probe); });
}

void GrpcServer::shutdown(std::chrono::milliseconds grace) {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->server) return;
  // Streams would otherwise last the whole grace and then be cancelled: they end now,
  // UNAVAILABLE, so their clients call another instance at once.
  impl_->core->end_streams(bridge::BodyStream::kDraining);
  // The queue threads keep running meanwhile: calls in flight still need them to finish.
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  {
    std::unique_lock gate(impl_->core->gate);
    impl_->core->closed = true;
  }
  for (auto& queue : impl_->core->queues) queue->Shutdown();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->server.reset();  // before the service and the queues, which the core holds
}

}  // namespace causeway::grpc
