#pragma once
// A gRPC listener: any method, over grpc++'s async generic API on completion-queue
// threads of its own. A unary call becomes a bridge::Request (POST /pkg.Service/Method,
// the request message's bytes as the body, content-type application/protobuf, client
// metadata as headers, the time left as "grpc-timeout") for the RequestHandler, and its
// Response becomes the call's status (grpc_answer.h). A server-streaming method (known
// from the catalog) is handed over the same way; a Response with a stream becomes its
// messages, anything else OK is UNIMPLEMENTED. Client-streaming methods get UNIMPLEMENTED.
// Shutting down ends the streams UNAVAILABLE. grpc.health.v1.Health/Check and server reflection are
// answered here. Calls are counted in causeway_grpc_calls_total{listener,code}.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bridge/exchange.h"
#include "grpc/health_check.h"

namespace causeway::metrics {
class Registry;
}

namespace causeway::grpc {

class ProtoCatalog;

// The defaults are DESIGN.md's. grpc 1.51 predates the HTTP/2 rapid-reset fixes, so the
// stream bound, the memory quota and the connection age are what contain such a client.
struct GrpcLimits {
  int max_concurrent_streams = 100;                      // per connection (HTTP/2 SETTINGS)
  std::size_t max_receive_message_bytes = 4 * 1024 * 1024;  // RESOURCE_EXHAUSTED beyond
  std::size_t max_send_message_bytes = 4 * 1024 * 1024;
  std::size_t max_metadata_bytes = 16 * 1024;            // the client's metadata, all of it
  std::chrono::milliseconds max_connection_age{std::chrono::minutes(30)};  // then GOAWAY; 0: no limit
  std::chrono::milliseconds max_connection_age_grace{std::chrono::seconds(30)};  // for calls in flight then
  std::chrono::milliseconds max_connection_idle{0};      // 0: idle connections stay
  // Keepalive enforcement: a client pinging more often than this without data gets a
  // strike, and after max_ping_strikes a GOAWAY (too_many_pings).
  std::chrono::milliseconds min_ping_interval{std::chrono::seconds(10)};
  int max_ping_strikes = 2;
  std::size_t memory_quota_bytes = 256 * 1024 * 1024;   // for all connections of the listener
};

struct GrpcServerOptions {
  std::string name;     // the listener's, for metrics and errors
  std::string address;  // "0.0.0.0:50051", "[::1]:0"; port 0 lets the kernel pick
  GrpcLimits limits;
  int threads = 1;      // completion-queue threads
};

class GrpcServer {
 public:
  GrpcServer(GrpcServerOptions options, std::shared_ptr<bridge::RequestHandler> handler,
             metrics::Registry& registry);
  ~GrpcServer();  // shutdown(0ms) unless done
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Binds and starts serving; throws std::runtime_error naming the listener and address.
  void start();
  // The bound port (the real one when the address asked for port 0); 0 before start().
  std::uint16_t port() const;

  // Calls from now on go to these; calls already handed over stay with theirs.
  void set_handler(std::shared_ptr<bridge::RequestHandler> handler);
  // For streaming detection and reflection; without one every method counts as unary
  // and reflection lists only health and reflection.
  void set_catalog(std::shared_ptr<const ProtoCatalog> catalog);
  // Health answers; by default "" and the catalog's services are serving.
  void set_health(HealthProbe probe);

  // Stops accepting calls, gives those in flight `grace` to finish, cancels the rest,
  // and returns once every thread has stopped. Answers arriving later are dropped.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::grpc
