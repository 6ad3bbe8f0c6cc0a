#pragma once
// The listener's per-call machinery, shared by the completion-queue threads: one
// ServerCall per call, from the accept through reading the request and answering (one
// message, or a server stream's messages as its bridge::BodyStream hands them over) to
// the moment gRPC says the call is over, driven by events from its completion queue.

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server_builder.h>

#include "bridge/exchange.h"
#include "grpc/health_check.h"
#include "grpc/status_mapping.h"

namespace causeway::metrics {
class Counter;
}

namespace causeway::grpc {

class ProtoCatalog;

// What every call of a listener shares; calls keep it alive until they are over.
struct ServerCore {
  std::string name;
  ::grpc::AsyncGenericService service;
  std::vector<std::unique_ptr<::grpc::ServerCompletionQueue>> queues;
  std::array<metrics::Counter*, kCodeCount> calls{};  // causeway_grpc_calls_total by code

  // An operation may only start on a completion queue before the queue shuts down: each
  // starts under a shared lock while `closed` is false, and shutdown sets it exclusively.
  std::shared_mutex gate;
  bool closed = false;

  // Swapped at run time; each call takes what is current when it starts.
  struct Current {
    std::shared_ptr<bridge::RequestHandler> handler;
    std::shared_ptr<const ProtoCatalog> catalog;
    HealthProbe health;
  };
  Current current() const;
  void update(const std::function<void(Current&)>& change);

  // Server streams under way: a drain ends each (UNAVAILABLE) rather than let it run out
  // the grace period and be cancelled; one that starts after is ended at once.
  void add_stream(const std::shared_ptr<bridge::BodyStream>& body);
  void end_streams(const std::string& reason);

 private:
  mutable std::mutex mutex_;
  Current current_;
  std::vector<std::weak_ptr<bridge::BodyStream>> streams_;
  std::optional<std::string> streams_ended_;
};

// Asks gRPC for the next call on `queue`; the call then carries itself through.
void accept_call(const std::shared_ptr<ServerCore>& core, ::grpc::ServerCompletionQueue& queue);

// A completion-queue thread's loop, until the queue is shut down and drained.
void serve_queue(::grpc::ServerCompletionQueue& queue);

}  // namespace causeway::grpc
