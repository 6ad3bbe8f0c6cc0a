#pragma once
// The gRPC client of the project: unary calls to any method of one upstream over one
// HTTP/2 channel (grpc++'s GenericStub), with a deadline and metadata, completed on a
// thread of its own. As a bridge::ServiceCaller it delivers messages over gRPC; send()
// is the plain call for forwarding and transcoding. Calls are counted in
// causeway_upstream_requests_total{upstream,code} with the gRPC code's name.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/service_caller.h"
#include "grpc/grpc_answer.h"

namespace causeway::metrics {
class Registry;
}

namespace causeway::grpc {

struct GrpcUpstreamOptions {
  std::string name;     // for metrics and errors
  std::string address;  // "127.0.0.1:50052", "dns:///inventory:50051"
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // per call, unless the call says less
  std::size_t max_response_bytes = 16 * 1024 * 1024;            // RESOURCE_EXHAUSTED beyond
  std::size_t max_request_bytes = 16 * 1024 * 1024;
};

struct GrpcCall {
  std::string method;         // "/pkg.Service/Method"
  std::string message;        // the request message's bytes
  bridge::Headers metadata;   // lower-case names; "-bin" values base64; transport headers are skipped
  std::optional<std::chrono::milliseconds> timeout;  // at most the upstream's
};

class GrpcUpstream : public bridge::ServiceCaller {
 public:
  GrpcUpstream(GrpcUpstreamOptions options, metrics::Registry& registry);
  // Cancels calls in flight (their `done` runs with CANCELLED) and stops the thread.
  ~GrpcUpstream() override;
  GrpcUpstream(const GrpcUpstream&) = delete;
  GrpcUpstream& operator=(const GrpcUpstream&) = delete;

  // From any thread; `done` runs once, on the upstream's thread (or at once, on the
  // caller's, when the call cannot start). Every outcome is an answer: an unreachable
  // upstream is UNAVAILABLE, a late one DEADLINE_EXCEEDED, as gRPC reports them.
  void send(GrpcCall call, std::function<void(GrpcAnswer)> done);

  // Delivery over gRPC: call.target is "/pkg.Service/Method", the body the request
  // message; a "grpc-timeout" header shortens the deadline. The response is
  // response_from_answer()'s: OK 200 with the message bytes; UNAVAILABLE 503,
  // DEADLINE_EXCEEDED 504 and RESOURCE_EXHAUSTED 429, which the delivery flow retries.
  // Calls cut short by the upstream's own shutdown are errors, not answers.
  void call(bridge::ServiceCall call, std::function<void(bridge::ServiceResult)> done) override;

  const GrpcUpstreamOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::grpc
