#pragma once
// A real HTTP/1.1 service for the delivery tests: it listens on 127.0.0.1, records
// every request it reads, and answers as the test's script says (status, headers,
// body, a delay, or a closed connection). One thread per connection, keep-alive.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace causeway::testing {

struct ServiceRequest {
  std::size_t index = 0;       // in the order requests were read, from 0
  std::uint64_t connection = 0;  // which connection brought it, from 1
  std::string method;
  std::string target;  // path and query as sent
  Headers headers;     // names lower-case, in the order received
  std::string body;
  Clock::time_point arrived{};   // once the whole request was read
  Clock::time_point finished{};  // when its answer started going out, or its connection was dropped
  int status = 0;                // what it was answered; 0 while or when it was not

  std::optional<std::string> header(const std::string& name) const;
};

struct ServiceAnswer {
  int status = 200;
  std::string body{};
  Headers headers{};  // Content-Length is added
  Duration delay{0};  // waited before answering
  bool close = false;  // close the connection instead of answering
};

class ScriptedService {
 public:
  using Script = std::function<ServiceAnswer(const ServiceRequest&)>;

  // Answers 200 with an empty body until given a script. Port 0 picks a free one.
  explicit ScriptedService(Script script = {}, std::uint16_t port = 0);
  ~ScriptedService();
  ScriptedService(const ScriptedService&) = delete;
  ScriptedService& operator=(const ScriptedService&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Runs on the connection's thread, so it may block; its delay is waited outside it.
  void set_script(Script script);
  // Refuses connections from now on and breaks the open ones (answers being delayed
  // are never sent); start() listens again on the same port.
  void stop();
  void start();

  std::vector<ServiceRequest> requests() const;
  std::size_t request_count() const;
  // True once `count` requests have been read within `timeout`.
  bool wait_requests(std::size_t count, Duration timeout) const;
  std::size_t connections_accepted() const { return connections_.load(); }

 private:
  void listen();
  void accept_loop();
  void serve(int fd, std::uint64_t connection);
  std::optional<ServiceRequest> read_request(int fd, std::string& buffer);
  bool answer(int fd, std::size_t index, const ServiceAnswer& answer);

  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> connections_{0};
  std::thread acceptor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  Script script_;
  std::vector<ServiceRequest> requests_;
  std::set<int> open_fds_;
  std::vector<std::thread> workers_;
};

// The most requests that were being handled at one moment among `requests` (each
// counted from its arrival to its finish).
std::size_t max_concurrent(const std::vector<ServiceRequest>& requests);

}  // namespace causeway::testing
