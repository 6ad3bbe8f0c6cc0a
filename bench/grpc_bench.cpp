// bench/run's gRPC peer, on grpc++'s generic API so that it needs no generated code:
//
//   grpc_bench serve PORT HEX
//       a gRPC server answering every unary call with the message HEX (protobuf bytes)
//   grpc_bench load ADDRESS METHOD HEX [--calls N] [--duration S] [--warmup S]
//       a closed loop of N calls in flight (default 64) of METHOD ("/pkg.Service/Method")
//       with the request message HEX over one channel; prints one line
//       "bench: rps=.. p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=.. max_ms=.. requests=.. non2xx=.. socket_errors=.."
//       like bench/report.lua's, where non2xx counts calls that did not end OK.
// h2load would do the load but reports no percentiles; ghz is not packaged for Debian.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

grpc::ByteBuffer buffer_of(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// ---- serve: each call is a small state machine on one completion queue -----------------

struct ServerCall {
  enum class Step { accepted, read, written } step = Step::accepted;
  grpc::GenericServerContext context;
  grpc::GenericServerAsyncReaderWriter stream{&context};
  grpc::ByteBuffer request;
};

int serve(int port, const std::string& answer_bytes) {
  grpc::AsyncGenericService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials());
  builder.RegisterAsyncGenericService(&service);
  auto queue = builder.AddCompletionQueue();
  auto server = builder.BuildAndStart();
  if (!server) {
    std::cerr << "grpc_bench: cannot listen on port " << port << "\n";
    return 1;
  }
  const grpc::ByteBuffer answer = buffer_of(answer_bytes);
  auto accept = [&] {
    auto* call = new ServerCall;
    service.RequestCall(&call->context, &call->stream, queue.get(), queue.get(), call);
  };
  accept();
  std::cerr << "ready\n";
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) {
    auto* call = static_cast<ServerCall*>(tag);
    if (!ok) {
      if (call->step == ServerCall::Step::accepted) break;  // shutting down
      delete call;
      continue;
    }
    switch (call->step) {
      case ServerCall::Step::accepted:
        accept();
        call->step = ServerCall::Step::read;
        call->stream.Read(&call->request, call);
        break;
      case ServerCall::Step::read:
        call->step = ServerCall::Step::written;
        call->stream.WriteAndFinish(answer, grpc::WriteOptions(), grpc::Status::OK, call);
        break;
      case ServerCall::Step::written:
        delete call;
        break;
    }
  }
  return 0;
}

// ---- load: N calls in flight, each restarted as soon as it ends -------------------------

struct ClientCall {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  grpc::ByteBuffer response;
  grpc::Status status;
  Clock::time_point started;
};

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

int load(const std::string& address, const std::string& method, const std::string& request_bytes, int calls,
         double duration_s, double warmup_s) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  const grpc::ByteBuffer request = buffer_of(request_bytes);
  std::vector<ClientCall> slots(static_cast<std::size_t>(calls));
  auto start = [&](ClientCall& slot) {
    slot.context = std::make_unique<grpc::ClientContext>();
    slot.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    slot.started = Clock::now();
    slot.reader = stub.PrepareUnaryCall(slot.context.get(), method, request, &queue);
    slot.reader->StartCall();
    slot.reader->Finish(&slot.response, &slot.status, &slot);
  };
  const auto begin = Clock::now();
  const auto measuring = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup_s));
  const auto end = measuring + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
  for (auto& slot : slots) start(slot);
  std::vector<double> latencies;
  latencies.reserve(1 << 20);
  long failed = 0;
  int in_flight = calls;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && queue.Next(&tag, &ok)) {
    auto& slot = *static_cast<ClientCall*>(tag);
    const auto now = Clock::now();
    if (slot.started >= measuring && now <= end) {
      if (ok && slot.status.ok()) {
        latencies.push_back(std::chrono::duration<double, std::milli>(now - slot.started).count());
      } else {
        ++failed;
        if (failed <= 3) std::cerr << "grpc_bench: call failed: " << slot.status.error_message() << "\n";
      }
    }
    if (now < end) {
      start(slot);
    } else {
      --in_flight;
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf("bench: rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f requests=%zu non2xx=%ld socket_errors=0\n",
              static_cast<double>(latencies.size()) / duration_s, percentile(latencies, 50), percentile(latencies, 90),
              percentile(latencies, 99), percentile(latencies, 99.9), latencies.empty() ? 0.0 : latencies.back(),
              latencies.size(), failed);
  return failed == 0 ? 0 : 1;
}

double seconds(const std::string& text) { return std::stod(text); }  // "15" or "15s"

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "serve") return serve(std::stoi(args[1]), from_hex(args[2]));
  if (args.size() >= 4 && args[0] == "load") {
    int calls = 64;
    double duration = 15, warmup = 2;
    for (std::size_t i = 4; i + 1 < args.size(); i += 2) {
      if (args[i] == "--calls") calls = std::stoi(args[i + 1]);
      if (args[i] == "--duration") duration = seconds(args[i + 1]);
      if (args[i] == "--warmup") warmup = seconds(args[i + 1]);
    }
    return load(args[1], args[2], from_hex(args[3]), calls, duration, warmup);
  }
  std::cerr << "usage: grpc_bench serve PORT HEX | grpc_bench load ADDRESS METHOD HEX [--calls N] [--duration S] [--warmup S]\n";
  return 2;
}
