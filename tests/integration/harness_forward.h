#pragma once
// Forwarding and reload additions to the harness: a raw TCP socket for conversations
// the test writes byte by byte (a body streamed in pieces, a chunked answer, a reset
// mid-response), a service whose connections such conversations serve, a config with
// forward routes, clients that keep requests going during reloads, and a way to
// reload only when the test says so.

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness.h"
#include "harness_service.h"

namespace causeway::testing {

// One end of a TCP connection, blocking, every read bounded by a deadline.
class RawSocket {
 public:
  explicit RawSocket(int fd) : fd_(fd) {}
  static RawSocket connect(const Address& address);  // throws when it cannot
  RawSocket(RawSocket&& other) noexcept;
  RawSocket& operator=(RawSocket&& other) = delete;
  ~RawSocket();

  bool send(std::string_view bytes);  // false once the peer is gone
  // Reads into buffer() until `enough` holds; false when the peer closed or the time ran out first.
  bool receive_until(const std::function<bool(const std::string&)>& enough, Duration timeout);
  bool receive_at_least(std::size_t bytes, Duration timeout) {
    return receive_until([bytes](const std::string& got) { return got.size() >= bytes; }, timeout);
  }
  // True once the peer closed (FIN or RST) within the timeout; what arrives meanwhile is kept.
  bool closed_by_peer(Duration timeout);
  // Ends the connection with a TCP reset instead of a FIN.
  void reset();
  std::string& buffer() { return buffer_; }
  // Every byte received so far, consumed or not.
  std::size_t received() const { return received_.load(); }

 private:
  enum class Fill { data, closed, timeout };
  Fill fill(Clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  std::atomic<std::size_t> received_{0};
};

// A request's head read off a socket, its body left in the buffer; nullopt when the
// connection ended first.
std::optional<ServiceRequest> read_request_head(RawSocket& socket, Duration timeout = 10s);
// The body that follows `head` (Content-Length or chunked), taken off the buffer.
std::optional<std::string> read_request_body(RawSocket& socket, const ServiceRequest& head, Duration timeout = 10s);
// "HTTP/1.1 <status> X\r\n" + each header + "\r\n": the head of an answer, written as is.
std::string response_head(int status, const Headers& headers);
// One chunk of a chunked body; chunk("") is the last one (no trailer fields).
std::string chunk(std::string_view data);
// The body as chunks of `piece` bytes, then the last chunk.
std::string chunked(std::string_view body, std::size_t piece);

// A service on 127.0.0.1 whose every connection is one call of the test's
// conversation, on a thread of its own: it reads and writes as the test wishes.
class RawService {
 public:
  using Conversation = std::function<void(RawSocket&)>;
  explicit RawService(Conversation conversation);
  ~RawService();
  RawService(const RawService&) = delete;
  RawService& operator=(const RawService&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::size_t connections_accepted() const { return accepted_.load(); }

 private:
  void accept_loop();

  Conversation conversation_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::mutex mutex_;
  std::set<int> open_fds_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

// A loopback port where nothing listens: connections to it are refused.
std::uint16_t refused_port();

// A config with listener "public" (no broker) and the upstream "backend". Fields are
// YAML text put in as they are.
struct ForwardConfig {
  std::string backend_url{};
  std::string backend_options = "timeout: 5s";  // more keys of the upstream, in flow style
  std::string listener_limits = "{ max_body: 16MiB }";
  std::string routes{};  // "  - name: ..." items
  std::string yaml() const;
};

// A forward route item for ForwardConfig::routes: from `path` on "public" (any
// method) to "backend", `to_extra` and `route_extra` being more YAML flow keys of
// `to` and of the route (", path: /v2/{rest}" / "retry: {...}").
std::string forward_route(const std::string& name, const std::string& path, const std::string& to_extra = "",
                          const std::string& route_extra = "");

// Lines of `text` that match `pattern`.
std::size_t count_matches(const std::string& text, const std::regex& pattern);

// POST /reload on the admin listener.
HttpResponse post_reload(const Address& admin);

// Points causeway's config file (a name the file watcher looks at) at a file in a
// directory nobody watches, so that the test can rewrite the config without the
// watcher reloading it: reloads then happen only when the test asks (POST /reload,
// SIGHUP, or replace_watched()), and can be counted exactly. The switch itself is
// one reload, waited for by the constructor.
class UnwatchedConfig {
 public:
  explicit UnwatchedConfig(CausewayProcess& causeway);
  // Rewrites the config where the watcher does not see it.
  void write(const std::string& yaml);
  // Writes yaml and swaps the watched name over to it, as deployment tools do: the
  // watcher reloads it once writes settle.
  void replace_watched(const std::string& yaml);

 private:
  std::filesystem::path fresh_file(const std::string& yaml);

  CausewayProcess& causeway_;
  TempDir dir_;
  std::filesystem::path current_;
  int generation_ = 0;
};

// Clients that send the same requests over and over on keep-alive connections
// (one connection per client, opened again when the server closes it), keeping
// every answer, until stopped. Status 0: no answer (refused, cut, or timed out).
class SteadyLoad {
 public:
  struct Answer {
    std::string path{};
    int status = 0;
    std::string body{};
    Clock::time_point sent{};
  };
  SteadyLoad(Address listener, std::vector<HttpRequest> requests, int clients);
  ~SteadyLoad() { stop(); }
  std::size_t answered() const;
  std::vector<Answer> stop();

 private:
  void run_client();

  Address listener_;
  std::vector<HttpRequest> requests_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<Answer> answers_;
  std::vector<std::thread> threads_;
};

}  // namespace causeway::testing
