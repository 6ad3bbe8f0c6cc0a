#pragma once
// Keep-alive connections to one upstream: each event loop keeps its own idle list and
// queue of waiting requests, touched only on that loop; the bound on open connections
// is one atomic shared by all loops. A connection freed on one loop while requests wait
// on another is handed over (its socket moves loops) rather than closed and reopened.
// For an https upstream, connections are TLS: the handshake is part of connecting.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/config.h"
#include "http/flat_fields.h"
#include "http/loop_executor.h"
#include "http/transport.h"
#include "http/upstream_client.h"

namespace causeway::metrics {
class Counter;
class Gauge;
}  // namespace causeway::metrics

namespace causeway::http {

class IoThreads;
class UpstreamPool;
class LoopTeardown;

using SteadyClock = std::chrono::steady_clock;

// One connection's share of max_connections, held from before connecting until the
// connection closes; dropping it lets a waiting request connect.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ~ConnectionSlot();
  explicit operator bool() const { return held_; }

 private:
  friend class UpstreamPool;
  explicit ConnectionSlot(std::weak_ptr<UpstreamPool> pool) : pool_(std::move(pool)), held_(true) {}
  void mark_connected(metrics::Gauge& gauge);  // once; a slot reused for a new connection stays counted
  void reset();

  // Weak: idle connections live inside the pool, and must not keep it alive.
  std::weak_ptr<UpstreamPool> pool_;
  metrics::Gauge* connected_ = nullptr;  // set once connected: the open-connections gauge to decrement
  bool held_ = false;
};

// An open connection, used by one request at a time on the loop that owns it.
class UpstreamConnection {
 public:
  using Registry = std::unordered_set<UpstreamConnection*>;
  UpstreamConnection(std::size_t loop, Registry& registry, Transport stream, ConnectionSlot slot);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  Transport& stream() { return stream_; }
  // What was read from the upstream and not parsed yet; empty whenever the connection
  // is idle, and kept with it so that its memory serves the next exchange too.
  boost::beast::flat_buffer& buffer() { return buffer_; }
  // The last response head read on it, its memory kept for the next one.
  FlatFields& head_fields() { return head_fields_; }
  // It served a request before, so the server may have closed it since.
  bool reused() const { return reused_; }

 private:
  friend class UpstreamPool;
  std::size_t loop_;
  Registry& registry_;  // the loop's open connections, closed by a shut-down
  ConnectionSlot slot_;  // declared before the stream: the socket closes before its slot is given away
  Transport stream_;
  boost::beast::flat_buffer buffer_;
  FlatFields head_fields_;
  SteadyClock::time_point idle_since_{};
  bool reused_ = false;
};

class UpstreamPool : public std::enable_shared_from_this<UpstreamPool> {
 public:
  struct Lease {
    std::unique_ptr<UpstreamConnection> connection;  // null on failure
    UpstreamResult::Error error = UpstreamResult::Error::none;
    std::string detail;
  };

  // Pools are shared: requests in flight and tasks posted to the loops hold them.
  // `tls`: the client context of an https upstream, null for http.
  static std::shared_ptr<UpstreamPool> create(const config::Upstream& upstream, IoThreads& threads,
                                              metrics::Gauge& open_connections, metrics::Counter& connects,
                                              std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  struct Key {
   private:
    friend class UpstreamPool;
    Key() = default;
  };
  UpstreamPool(Key, const config::Upstream& upstream, IoThreads& threads, metrics::Gauge& open_connections,
               metrics::Counter& connects, std::shared_ptr<boost::asio::ssl::context> tls);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // On loop `loop`: an idle connection, else a new one if max_connections allows, else
  // the first one released for this request, all before `deadline`.
  Task<Lease> acquire(std::size_t loop, SteadyClock::time_point deadline);
  // acquire()'s answer when it needs no waiting (an idle connection, or the pool closed),
  // without the cost of a coroutine; nullopt when acquire() would connect or wait.
  std::optional<Lease> acquire_at_once(std::size_t loop);
  // A new connection in place of one the server closed while it was idle; keeps its slot.
  Task<Lease> replace(std::unique_ptr<UpstreamConnection> stale, SteadyClock::time_point deadline);
  // A connection whose exchange ended cleanly with keep-alive, on its loop. Any other
  // connection is simply dropped, which closes it.
  void release(std::unique_ptr<UpstreamConnection> connection);

  // From any thread: each loop closes its connections (in-flight exchanges fail), wakes
  // its waiting requests with an error, and takes no more.
  void shut_down();
  bool closed(std::size_t loop) const;  // on that loop

  // A loop with an idle connection, for callers not on a loop to prefer; racy, a hint.
  std::optional<std::size_t> loop_with_idle(std::size_t start) const;
  std::size_t loops() const { return loops_.size(); }

 private:
  friend class ConnectionSlot;
  friend class LoopTeardown;
  struct Waiter;
  struct Loop;

  ConnectionSlot reserve();
  void free_slot();
  Task<Lease> connect(std::size_t loop, ConnectionSlot slot, SteadyClock::time_point deadline);
  Task<Lease> wait(std::size_t loop, SteadyClock::time_point deadline);
  using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
  Task<std::pair<boost::beast::error_code, Endpoints>> resolve(std::size_t loop);
  Lease connect_failure(const boost::beast::error_code& ec, bool request_deadline) const;
  Transport new_stream(std::size_t loop) const;
  Task<std::optional<Lease>> handshake(UpstreamConnection& connection, bool request_deadline);
  std::unique_ptr<UpstreamConnection> take_idle(Loop& loop);
  void give(Loop& loop, std::unique_ptr<UpstreamConnection> connection);
  void serve_waiters(std::size_t loop);
  void share_idle(std::size_t loop);
  void move_to(std::size_t target, std::unique_ptr<UpstreamConnection> connection);
  void adopt(std::size_t loop, Socket socket, ConnectionSlot slot);
  std::optional<std::size_t> oldest_waiting_loop() const;
  void arm_sweep(std::size_t loop);
  void sweep(std::size_t loop);
  void close_loop(std::size_t loop);
  void forget_loop(std::size_t loop);
  Lease closed_lease() const;

  const config::Upstream upstream_;
  std::optional<boost::asio::ip::tcp::endpoint> literal_;  // the host when it is an IP address
  std::string address_text_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  metrics::Gauge& open_gauge_;
  metrics::Counter& connects_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<std::size_t> open_{0};  // slots held, connecting or connected, across loops
  std::atomic<bool> closing_{false};
};

}  // namespace causeway::http
