#include "grpc/server_call.h"

#include <algorithm>
#include <chrono>

#include "grpc/byte_buffers.h"
#include "grpc/grpc_answer.h"
#include "grpc/grpc_metadata.h"
#include "grpc/grpc_timeout.h"
#include "grpc/proto_catalog.h"
#include "grpc/server_reflection.h"
#include "metrics/registry.h"

namespace causeway::grpc {

namespace {

// Status messages travel in trailers, which clients bound (8 KiB by default).
constexpr std::size_t kMaxStatusMessage = 1024;

class ServerCall;

// A completion-queue tag: which call, and which of its steps completed.
struct Step {
  ServerCall* call;
  void (ServerCall::*on)(bool ok);
};

// What a Responder holds on to: the call while it lives. The call's state is guarded by
// this mutex, so an answer from any thread and the end of the call cannot cross.
struct CallLink {
  std::mutex mutex;
  ServerCall* call = nullptr;
};

HealthStatus default_health(const ProtoCatalog* catalog, std::string_view service) {
  if (service.empty()) return HealthStatus::serving;
  for (const auto& name : reflected_services(catalog)) {
    if (name == service) return HealthStatus::serving;
  }
  return HealthStatus::unknown_service;
}

class ServerCall {
 public:
  ServerCall(std::shared_ptr<ServerCore> core, ::grpc::ServerCompletionQueue& queue)
      : core_(std::move(core)), queue_(queue), link_(std::make_shared<CallLink>()) {
    link_->call = this;
    // Must be asked before the call starts; gRPC then reports its end, cancelled or not.
    context_.AsyncNotifyWhenDone(&done_step_);
  }

  void request() {
    std::unique_lock lock(link_->mutex);
    start([&] { core_->service.RequestCall(&context_, &stream_, &queue_, &queue_, &accepted_step_); });
    settle(std::move(lock));
  }

  // The handler's answer, from any thread.
  static void answer(const std::shared_ptr<CallLink>& link, bridge::Response response) {
    GrpcAnswer answer = answer_from_response(std::move(response));
    std::unique_lock lock(link->mutex);
    if (!link->call) return;  // the call is over: cancelled, past its deadline, or the listener stopped
    link->call->finish_with(std::move(answer));
    link->call->settle(std::move(lock));
  }

  void on_accepted(bool ok) {
    std::unique_lock lock(link_->mutex);
    --pending_;
    if (!ok) return settle(std::move(lock));  // the listener is shutting down
    accepted_ = true;
    lock.unlock();
    accept_call(core_, queue_);
    lock.lock();
    current_ = core_->current();
    begin();
    settle(std::move(lock));
  }

  void on_read(bool ok) {
    std::unique_lock lock(link_->mutex);
    --pending_;
    if (!ok) {
      // The client half-closed: a reflection stream is done (its answers are all written),
      // a unary call lacks its message.
      finish_with(kind_ == Kind::reflection ? GrpcAnswer{}
                                            : grpc_error(Code::invalid_argument, "the call carried no request message"));
      return settle(std::move(lock));
    }
    std::string message = bytes_of(buffer_);
    switch (kind_) {
      case Kind::health: finish_with(check_health(message, health_probe())); break;
      case Kind::reflection: reflect(message); break;
      case Kind::bridge:
        if (done_) break;  // cancelled already: nobody would hear the answer
        return hand_over(std::move(message), std::move(lock));
    }
    settle(std::move(lock));
  }

  void on_written(bool ok) {
    std::unique_lock lock(link_->mutex);
    --pending_;
    if (ok) start([&] { stream_.Read(&buffer_, &read_step_); });
    settle(std::move(lock));
  }

  void on_finished(bool) {
    std::unique_lock lock(link_->mutex);
    --pending_;
    settle(std::move(lock));
  }

  void on_done(bool) {
    std::unique_lock lock(link_->mutex);
    done_ = true;
    cancelled_ = context_.IsCancelled();
    settle(std::move(lock));
  }

 private:
  enum class Kind { bridge, health, reflection };

  // Which kind of call this is, by its method.
  void begin() {
    const std::string& method = context_.method();
    if (method == kHealthWatchPath) {
      return finish_with(grpc_error(Code::unimplemented, "grpc.health.v1.Health/Watch is not served; use Check"));
    }
    if (method == kHealthCheckPath) {
      kind_ = Kind::health;
    } else if (method == kReflectionPathV1alpha || method == kReflectionPathV1) {
      kind_ = Kind::reflection;
    } else if (const RpcMethod* known = current_.catalog ? current_.catalog->find_method(method) : nullptr;
               known && !known->unary()) {
      return finish_with(grpc_error(Code::unimplemented, "streaming calls are not supported (" + method + " is " +
                                                   (known->client_streaming ? "client" : "server") + " streaming)"));
    }
    start([&] { stream_.Read(&buffer_, &read_step_); });
  }

  HealthProbe health_probe() const {
    if (current_.health) return current_.health;
    return [catalog = current_.catalog](std::string_view service) { return default_health(catalog.get(), service); };
  }

  void reflect(const std::string& message) {
    std::optional<std::string> reply = answer_reflection(message, current_.catalog.get());
    if (!reply) return finish_with(grpc_error(Code::invalid_argument, "not a grpc.reflection ServerReflectionRequest"));
    buffer_ = buffer_of(*reply);
    start([&] { stream_.Write(buffer_, &written_step_); });
  }

  bridge::Request request_of(std::string message) const {
    bridge::Request request;
    request.method = "POST";
    request.path = context_.method();
    request.headers = headers_from_metadata(context_.client_metadata());
    request.headers.push_back({"content-type", "application/protobuf"});
    const auto deadline = context_.deadline();
    if (deadline != std::chrono::system_clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::system_clock::now());
      request.headers.push_back({std::string(kTimeoutHeader), timeout_text(left)});
    }
    request.body = std::move(message);
    return request;
  }

  // Gives the request to the handler without holding the lock: it may answer at once,
  // on this thread, and that answer may end the call (and this object) before it returns.
  void hand_over(std::string message, std::unique_lock<std::mutex> lock) {
    bridge::Request request = request_of(std::move(message));
    std::shared_ptr<bridge::RequestHandler> handler = current_.handler;
    bridge::Responder responder([link = link_](bridge::Response response) { answer(link, std::move(response)); });
    lock.unlock();
    if (!handler) {
      responder(bridge::Response{503, {}, R"({"error":"draining","message":"the listener has no handler"})"});
      return;
    }
    try {
      handler->handle(std::move(request), std::move(responder));
    } catch (...) {
      // A dropped responder answers 500 by itself; the queue thread must go on.
    }
  }

  void finish_with(GrpcAnswer answer) {
    if (finishing_) return;
    finishing_ = true;
    code_ = answer.code;
    const Metadata metadata = metadata_from_headers(answer.metadata);
    if (answer.code == Code::ok && kind_ != Kind::reflection) {
      for (const auto& [name, value] : metadata) context_.AddInitialMetadata(name, value);
      buffer_ = buffer_of(answer.body);
      start([&] { stream_.WriteAndFinish(buffer_, ::grpc::WriteOptions(), ::grpc::Status::OK, &finished_step_); });
    } else {
      for (const auto& [name, value] : metadata) context_.AddTrailingMetadata(name, value);
      if (answer.message.size() > kMaxStatusMessage) answer.message.resize(kMaxStatusMessage);
      const ::grpc::Status status(static_cast<::grpc::StatusCode>(answer.code), answer.message);
      start([&] { stream_.Finish(status, &finished_step_); });
    }
  }

  // Starts a completion-queue operation unless the listener has closed its queues.
  template <class Operation>
  void start(Operation&& operation) {
    std::shared_lock gate(core_->gate);
    if (core_->closed) return;
    ++pending_;
    operation();
  }

  // The end of every step: once nothing is pending and gRPC said the call is over (or it
  // never started), nobody can reach this object any more.
  void settle(std::unique_lock<std::mutex> lock) {
    if (pending_ > 0 || (accepted_ && !done_)) return;
    link_->call = nullptr;
    const std::shared_ptr<CallLink> link = link_;  // its mutex is still locked here
    lock.unlock();
    if (accepted_) core_->calls[static_cast<std::size_t>(outcome())]->inc();
    delete this;
  }

  Code outcome() const {
    if (!cancelled_) return finishing_ ? code_ : Code::cancelled;
    // The client's deadline runs out before the listener's, which starts when the call
    // arrives: a cancel that close to the deadline is the client giving up on time.
    constexpr auto kTransit = std::chrono::milliseconds(100);
    return std::chrono::system_clock::now() + kTransit >= context_.deadline() ? Code::deadline_exceeded
                                                                               : Code::cancelled;
  }

  std::shared_ptr<ServerCore> core_;
  ::grpc::ServerCompletionQueue& queue_;
  std::shared_ptr<CallLink> link_;
  ServerCore::Current current_;
  ::grpc::GenericServerContext context_;
  ::grpc::GenericServerAsyncReaderWriter stream_{&context_};
  ::grpc::ByteBuffer buffer_;
  Kind kind_ = Kind::bridge;
  int pending_ = 0;       // operations started and not back from the queue
  bool accepted_ = false;
  bool done_ = false;     // gRPC reported the end of the call
  bool cancelled_ = false;
  bool finishing_ = false;
  Code code_ = Code::ok;

  Step accepted_step_{this, &ServerCall::on_accepted};
  Step read_step_{this, &ServerCall::on_read};
  Step written_step_{this, &ServerCall::on_written};
  Step finished_step_{this, &ServerCall::on_finished};
  Step done_step_{this, &ServerCall::on_done};
};

}  // namespace

ServerCore::Current ServerCore::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void ServerCore::update(const std::function<void(Current&)>& change) {
  std::lock_guard lock(mutex_);
  change(current_);
}

void accept_call(const std::shared_ptr<ServerCore>& core, ::grpc::ServerCompletionQueue& queue) {
  (new ServerCall(core, queue))->request();
}

void serve_queue(::grpc::ServerCompletionQueue& queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
    const Step& step = *static_cast<Step*>(tag);
    (step.call->*step.on)(ok);
  }
}

}  // namespace causeway::grpc
