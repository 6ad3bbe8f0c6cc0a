#include "grpc/grpc_upstream.h"

#include <array>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include "grpc/byte_buffers.h"
#include "grpc/grpc_metadata.h"
#include "grpc/grpc_timeout.h"
#include "metrics/registry.h"

namespace causeway::grpc {

namespace {

using Clock = std::chrono::steady_clock;

// One call in flight; its address is its completion-queue tag.
struct PendingCall {
  ::grpc::ClientContext context;
  ::grpc::ByteBuffer request;
  ::grpc::ByteBuffer response;
  ::grpc::Status status;
  std::unique_ptr<::grpc::GenericClientAsyncResponseReader> reader;
  std::function<void(GrpcAnswer)> done;
  Clock::time_point started = Clock::now();
};

int clamped(std::size_t value) {
  return static_cast<int>(std::min<std::size_t>(value, std::numeric_limits<int>::max()));
}

GrpcAnswer answer_of(PendingCall& call) {
  GrpcAnswer answer;
  answer.code = code_from_number(call.status.error_code()).value_or(Code::unknown);
  answer.message = call.status.error_message();
  if (answer.code == Code::ok) answer.body = bytes_of(call.response);
  answer.metadata = headers_from_metadata(call.context.GetServerInitialMetadata());
  for (auto& header : headers_from_metadata(call.context.GetServerTrailingMetadata())) {
    answer.metadata.push_back(std::move(header));
  }
  return answer;
}

// gRPC's :path is "/pkg.Service/Method"; anything else would go out as a malformed request.
bool valid_method(std::string_view method) {
  return method.size() > 3 && method.front() == '/' && method.find('/', 1) != std::string_view::npos &&
         method.back() != '/';
}

}  // namespace

struct GrpcUpstream::Impl {
  explicit Impl(GrpcUpstreamOptions options_) : options(std::move(options_)) {
    ::grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(clamped(options.max_response_bytes));
    arguments.SetMaxSendMessageSize(clamped(options.max_request_bytes));
    arguments.SetUserAgentPrefix("causeway");
    channel = ::grpc::CreateCustomChannel(options.address, ::grpc::InsecureChannelCredentials(), arguments);
    stub = std::make_unique<::grpc::GenericStub>(channel);
  }

  const GrpcUpstreamOptions options;
  std::shared_ptr<::grpc::Channel> channel;
  std::unique_ptr<::grpc::GenericStub> stub;
  ::grpc::CompletionQueue queue;
  std::thread thread;
  std::array<metrics::Counter*, kCodeCount> requests{};
  metrics::Histogram* duration = nullptr;

  // Calls start under this lock while open, so none starts after the queue shut down.
  std::mutex mutex;
  bool closed = false;
  std::unordered_set<PendingCall*> in_flight;

  void complete_calls() {
    void* tag = nullptr;
    bool ok = false;
    while (queue.Next(&tag, &ok)) {
      std::unique_ptr<PendingCall> call(static_cast<PendingCall*>(tag));
      {
        std::lock_guard lock(mutex);
        in_flight.erase(call.get());
      }
      GrpcAnswer answer = answer_of(*call);
      requests[static_cast<std::size_t>(answer.code)]->inc();
      duration->observe(std::chrono::duration<double>(Clock::now() - call->started).count());
      call->done(std::move(answer));
    }
  }
};

GrpcUpstream::GrpcUpstream(GrpcUpstreamOptions options, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  const std::string& name = impl_->options.name;
  auto& requests = registry.counter("causeway_upstream_requests_total",
                                    "Upstream requests by response status, or by how they failed", {"upstream", "code"});
  for (int code = 0; code < kCodeCount; ++code) {
    impl_->requests[code] = &requests.with({name, code_name(static_cast<Code>(code))});
  }
  impl_->duration = &registry
                         .histogram("causeway_upstream_request_duration_seconds",
                                    "Upstream requests from send to result, waiting for a connection included",
                                    {"upstream"}, metrics::latency_buckets())
                         .with({name});
  impl_->thread = std::thread([impl = impl_.get()] { impl->complete_calls(); });
}

GrpcUpstream::~GrpcUpstream() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->closed = true;
    for (PendingCall* call : impl_->in_flight) call->context.TryCancel();
  }
  impl_->queue.Shutdown();
  impl_->thread.join();
}

void GrpcUpstream::send(GrpcCall call, std::function<void(GrpcAnswer)> done) {
  if (!valid_method(call.method)) {
    done(grpc_error(Code::internal, "upstream '" + impl_->options.name + "': '" + call.method +
                              "' is not a gRPC method path (/pkg.Service/Method)"));
    return;
  }
  auto pending = std::make_unique<PendingCall>();
  const auto timeout = std::min(call.timeout.value_or(impl_->options.timeout), impl_->options.timeout);
  pending->context.set_deadline(std::chrono::system_clock::now() + timeout);
  for (const auto& [name, value] : metadata_from_headers(call.metadata)) pending->context.AddMetadata(name, value);
  pending->request = buffer_of(call.message);
  pending->done = std::move(done);

  std::unique_lock lock(impl_->mutex);
  if (impl_->closed) {
    lock.unlock();
    pending->done(grpc_error(Code::cancelled, "upstream '" + impl_->options.name + "' is closed"));
    return;
  }
  PendingCall* raw = pending.release();  // the completion loop owns it from here
  impl_->in_flight.insert(raw);
  raw->reader = impl_->stub->PrepareUnaryCall(&raw->context, call.method, raw->request, &impl_->queue);
  raw->reader->StartCall();
  raw->reader->Finish(&raw->response, &raw->status, raw);
}

void GrpcUpstream::call(bridge::ServiceCall call, std::function<void(bridge::ServiceResult)> done) {
  GrpcCall grpc_call;
  grpc_call.method = call.target.substr(0, call.target.find('?'));
  grpc_call.message = std::move(call.body);
  if (const std::string* timeout = bridge::find_header(call.headers, kTimeoutHeader)) grpc_call.timeout = parse_timeout(*timeout);
  // The route's timeout bounds the call; a message's grpc-timeout may only shorten it.
  if (call.timeout && (!grpc_call.timeout || *call.timeout < *grpc_call.timeout)) grpc_call.timeout = call.timeout;
  grpc_call.metadata = std::move(call.headers);
  send(std::move(grpc_call), [impl = impl_.get(), done = std::move(done)](GrpcAnswer answer) {
    bridge::ServiceResult result;
    bool closing = false;
    if (answer.code == Code::cancelled) {
      std::lock_guard lock(impl->mutex);
      closing = impl->closed;
    }
    if (closing) {
      result.error = "upstream '" + impl->options.name + "' closed before the call finished";
    } else {
      result.response = response_from_answer(std::move(answer));
    }
    done(std::move(result));
  });
}

const GrpcUpstreamOptions& GrpcUpstream::options() const { return impl_->options; }

}  // namespace causeway::grpc
