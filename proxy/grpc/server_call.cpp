#include "grpc/server_call.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "bridge/body_stream.h"

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
    std::shared_ptr<bridge::BodyStream> body = std::move(response.stream);
    GrpcAnswer answer = answer_from_response(std::move(response));
    std::unique_lock lock(link->mutex);
    ServerCall* call = link->call;
    if (!call) {
      // The call is over: cancelled, past its deadline, or the listener stopped.
      lock.unlock();
      if (body) body->end(bridge::BodyStream::kClientClosed);
      return;
    }
    if (body && call->server_streaming_ && answer.code == Code::ok) {
      call->stream_from(std::move(body), lock);
    } else if (body) {
      ++call->pending_;  // keeps the call while the lock is let go
      lock.unlock();
      body->end(bridge::BodyStream::kClientClosed);
      lock.lock();
      --call->pending_;
      call->finish_with(grpc_error(Code::internal, "a stream answered a unary call"));
    } else if (call->server_streaming_ && answer.code == Code::ok) {
      call->finish_with(grpc_error(Code::unimplemented, call->context_.method() + " is server streaming; its route is not a stream"));
    } else {
      call->finish_with(std::move(answer));
    }
    call->settle(std::move(lock));
  }

  // The stream's own callbacks, from any thread: more to write, or its end.
  static void stream_ready(const std::shared_ptr<CallLink>& link) {
    std::unique_lock lock(link->mutex);
    ServerCall* call = link->call;
    if (!call) return;
    call->waiting_ = false;
    call->pump(lock);
    call->settle(std::move(lock));
  }
  static void stream_ended(const std::shared_ptr<CallLink>& link, const std::string& reason) {
    std::unique_lock lock(link->mutex);
    ServerCall* call = link->call;
    if (!call) return;
    if (!call->ended_) call->ended_ = reason;
    call->pump(lock);
    call->settle(std::move(lock));
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

  void on_streamed(bool ok) {
    std::unique_lock lock(link_->mutex);
    --pending_;
    writing_ = false;
    if (ok) pump(lock);  // else the call is broken: on_done follows
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
    if (body_) {
      // A client gone mid-stream: its subscription ends now (a no-op when the stream ended first).
      auto body = body_;
      ++pending_;
      lock.unlock();
      body->end(bridge::BodyStream::kClientClosed);
      lock.lock();
      --pending_;
    }
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
               known && known->client_streaming) {
      return finish_with(grpc_error(Code::unimplemented, "client-streaming calls are not supported (" + method + ")"));
    } else if (known && known->server_streaming) {
      server_streaming_ = true;  // its one request message is read like a unary call's
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

  // A server stream's messages from now on: each chunk of the body is one.
  void stream_from(std::shared_ptr<bridge::BodyStream> body, std::unique_lock<std::mutex>& lock) {
    body_ = body;
    // The client learns at once that the stream is open (it is subscribed by now), not
    // with the first message; the first write waits for it like any other.
    writing_ = true;
    start([&] { stream_.SendInitialMetadata(&streamed_step_); });
    ++pending_;
    lock.unlock();
    core_->add_stream(body);
    body->on_end([link = link_](const std::string& reason) { stream_ended(link, reason); });
    lock.lock();
    --pending_;
    pump(lock);
  }

  // The next step of a stream, under the lock: write the next message (one at a time:
  // gRPC's flow control holds the write while the client's window is full, and the body
  // fills meanwhile), finish once the body ended and is written, or wait for more. A
  // slow reader is finished at once, its messages dropped.
  void pump(std::unique_lock<std::mutex>& lock) {
    while (!finishing_ && !done_) {
      if (ended_ && *ended_ == bridge::BodyStream::kSlowReader) {
        outbox_.clear();
        return finish_stream(*ended_);
      }
      if (writing_) return;
      if (!outbox_.empty()) {
        buffer_ = buffer_of(outbox_.front());
        outbox_.pop_front();
        writing_ = true;
        start([&] { stream_.Write(buffer_, &streamed_step_); });
        return;
      }
      if (drained_) return finish_stream(ended_.value_or(bridge::BodyStream::kBroker));
      if (waiting_) return;
      // The body's own lock is taken without the call's: its callbacks take the call's.
      auto body = body_;
      ++pending_;
      lock.unlock();
      auto taken = body->take();
      lock.lock();
      --pending_;
      for (auto& chunk : taken.chunks) outbox_.push_back(std::move(chunk));
      if (taken.ended) {
        drained_ = true;
        if (!ended_) ended_ = taken.ended;
        continue;
      }
      if (!outbox_.empty()) continue;
      waiting_ = true;
      ++pending_;
      lock.unlock();
      body->when_ready([link = link_] { stream_ready(link); });  // may run at once, here
      lock.lock();
      --pending_;
    }
  }

  void finish_stream(const std::string& reason) {
    if (reason == bridge::BodyStream::kSlowReader) {
      finish_with(grpc_error(Code::resource_exhausted, "the client read too slowly: more than " +
                                                           std::to_string(body_->max_buffered()) +
                                                           " bytes of messages waited for it"));
    } else if (reason == bridge::BodyStream::kDraining) {
      finish_with(grpc_error(Code::unavailable, "the listener is shutting down; call again"));
    } else if (reason == bridge::BodyStream::kClientClosed) {
      finish_with(grpc_error(Code::cancelled, "the client left"));
    } else {
      finish_with(grpc_error(Code::unavailable, "the broker ended the stream"));
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
  bool server_streaming_ = false;
  // A server stream: its body, the messages taken from it and not yet written, and where it is.
  std::shared_ptr<bridge::BodyStream> body_;
  std::deque<std::string> outbox_;
  bool writing_ = false;   // a Write is under way
  bool waiting_ = false;   // the body calls back when it has more
  bool drained_ = false;   // the body ended and everything it held was taken
  std::optional<std::string> ended_;
  int pending_ = 0;       // operations started and not back from the queue
  bool accepted_ = false;
  bool done_ = false;     // gRPC reported the end of the call
  bool cancelled_ = false;
  bool finishing_ = false;
  Code code_ = Code::ok;

  Step accepted_step_{this, &ServerCall::on_accepted};
  Step read_step_{this, &ServerCall::on_read};
  Step written_step_{this, &ServerCall::on_written};
  Step streamed_step_{this, &ServerCall::on_streamed};
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

void ServerCore::add_stream(const std::shared_ptr<bridge::BodyStream>& body) {
  std::unique_lock lock(mutex_);
  if (streams_ended_) {
    const std::string reason = *streams_ended_;
    lock.unlock();
    body->end(reason);
    return;
  }
  std::erase_if(streams_, [](const auto& open) { return open.expired(); });
  streams_.push_back(body);
}

void ServerCore::end_streams(const std::string& reason) {
  std::vector<std::weak_ptr<bridge::BodyStream>> open;
  {
    std::lock_guard lock(mutex_);
    streams_ended_ = reason;
    open.swap(streams_);
  }
  for (auto& weak : open) {
    if (auto body = weak.lock()) body->end(reason);
  }
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
