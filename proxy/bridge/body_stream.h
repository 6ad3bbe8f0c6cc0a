#pragma once
// A response body that goes on after its head (server-sent events, a gRPC server
// stream): the flow adds to it from any thread, the listener takes what is there
// whenever the client can take more. What waits is bounded: a client that reads slower
// than its events come is cut off, never allowed to grow memory.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace causeway::bridge {

class BodyStream {
 public:
  // Why a stream ended, as counted in causeway_stream_disconnects_total{reason}.
  static constexpr const char* kSlowReader = "slow_reader";
  static constexpr const char* kClientClosed = "client_closed";
  static constexpr const char* kDraining = "draining";
  static constexpr const char* kBroker = "broker";

  // `idle_bytes`: what the listener writes after `idle` without anything else (an SSE comment).
  BodyStream(std::size_t max_buffered, std::chrono::milliseconds idle, std::string idle_bytes);
  ~BodyStream();
  BodyStream(const BodyStream&) = delete;
  BodyStream& operator=(const BodyStream&) = delete;

  // Producer side. False once the stream has ended. A push that would hold more than
  // max_buffered bytes ends the stream as kSlowReader and drops what it held.
  bool push(std::string bytes);
  // Ends it (at most once: the first reason stays); the listener writes what is left.
  void end(std::string reason);

  // Listener side: `ready` is called once, from any thread (at once when there is
  // something already), when take() has bytes or the stream has ended.
  void when_ready(std::function<void()> ready);
  struct Taken {
    std::vector<std::string> chunks;  // in order; empty when the stream was cut off as a slow reader
    std::optional<std::string> ended;  // the reason, once nothing more will come
  };
  Taken take();

  // Each is called once, with the reason, when the stream ends (to count, to unsubscribe,
  // to give back a concurrency slot); at once when it has ended already.
  void on_end(std::function<void(const std::string& reason)> ended);

  std::chrono::milliseconds idle() const { return idle_; }
  const std::string& idle_bytes() const { return idle_bytes_; }
  std::size_t buffered() const;
  std::size_t max_buffered() const { return max_buffered_; }

 private:
  void end_locked(std::string reason, std::unique_lock<std::mutex>& lock);

  const std::size_t max_buffered_;
  const std::chrono::milliseconds idle_;
  const std::string idle_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::string> chunks_;
  std::size_t bytes_ = 0;
  std::optional<std::string> ended_;
  std::function<void()> ready_;
  std::vector<std::function<void(const std::string&)>> on_end_;
};

}  // namespace causeway::bridge
