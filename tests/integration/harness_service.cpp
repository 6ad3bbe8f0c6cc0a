// The scripted HTTP service: POSIX sockets, a thread per connection.
#include "harness_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <stdexcept>

namespace causeway::testing {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

const char* reason(int status) {
  static const std::map<int, const char*> kReasons = {
      {200, "OK"},          {201, "Created"},        {202, "Accepted"},           {204, "No Content"},
      {400, "Bad Request"}, {404, "Not Found"},      {408, "Request Timeout"},    {409, "Conflict"},
      {422, "Unprocessable Content"},                {429, "Too Many Requests"},  {500, "Internal Server Error"},
      {502, "Bad Gateway"}, {503, "Service Unavailable"}, {504, "Gateway Timeout"}};
  auto found = kReasons.find(status);
  return found == kReasons.end() ? "Status" : found->second;
}

// Reads more bytes into `buffer`; false once the peer closed or the socket broke.
bool receive(int fd, std::string& buffer) {
  char chunk[16384];
  for (;;) {
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Takes `size` bytes off the front of `buffer`, reading more as needed.
std::optional<std::string> take(int fd, std::string& buffer, std::size_t size) {
  while (buffer.size() < size) {
    if (!receive(fd, buffer)) return std::nullopt;
  }
  std::string out = buffer.substr(0, size);
  buffer.erase(0, size);
  return out;
}

std::optional<std::string> take_line(int fd, std::string& buffer) {
  for (;;) {
    if (auto end = buffer.find("\r\n"); end != std::string::npos) return take(fd, buffer, end + 2);
    if (!receive(fd, buffer)) return std::nullopt;
  }
}

// A chunked body, trailers skipped: Causeway's client may choose this framing.
std::optional<std::string> take_chunked(int fd, std::string& buffer) {
  std::string body;
  for (;;) {
    auto line = take_line(fd, buffer);
    if (!line) return std::nullopt;
    std::size_t size = std::stoul(*line, nullptr, 16);
    if (size == 0) break;
    auto chunk = take(fd, buffer, size + 2);
    if (!chunk) return std::nullopt;
    body += chunk->substr(0, size);
  }
  for (;;) {
    auto trailer = take_line(fd, buffer);
    if (!trailer) return std::nullopt;
    if (*trailer == "\r\n") return body;
  }
}

}  // namespace

std::optional<std::string> ServiceRequest::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

ScriptedService::ScriptedService(Script script, std::uint16_t port) : port_(port), script_(std::move(script)) {
  start();
}

ScriptedService::~ScriptedService() { stop(); }

void ScriptedService::set_script(Script script) {
  std::lock_guard lock(mutex_);
  script_ = std::move(script);
}

void ScriptedService::listen() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("ScriptedService: socket failed");
  int one = 1;
  // Restarting on the same port must not wait for the old connections' TIME_WAIT.
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port_);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 128) != 0) {
    close(listen_fd_);
    throw std::runtime_error("ScriptedService: cannot listen on port " + std::to_string(port_));
  }
  socklen_t size = sizeof address;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
}

void ScriptedService::start() {
  if (acceptor_.joinable()) return;
  stopping_.store(false);
  listen();
  acceptor_ = std::thread([this] { accept_loop(); });
}

void ScriptedService::stop() {
  if (!acceptor_.joinable()) return;
  stopping_.store(true);
  acceptor_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);  // wakes the reads; their threads close them
    workers.swap(workers_);
    changed_.notify_all();  // and the delays
  }
  for (auto& worker : workers) worker.join();
}

void ScriptedService::accept_loop() {
  while (!stopping_.load()) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (poll(&waiting, 1, 50) != 1) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const auto connection = ++connections_;
    std::lock_guard lock(mutex_);
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

void ScriptedService::serve(int fd, std::uint64_t connection) {
  std::string buffer;
  while (!stopping_.load()) {
    auto request = read_request(fd, buffer);
    if (!request) break;
    request->connection = connection;
    Script script;
    {
      std::lock_guard lock(mutex_);
      request->index = requests_.size();
      requests_.push_back(*request);
      script = script_;
      changed_.notify_all();
    }
    const ServiceAnswer reply = script ? script(*request) : ServiceAnswer{};
    if (!answer(fd, request->index, reply)) break;
    if (lower(request->header("connection").value_or("")) == "close") break;
  }
  std::lock_guard lock(mutex_);
  open_fds_.erase(fd);
  close(fd);
}

std::optional<ServiceRequest> ScriptedService::read_request(int fd, std::string& buffer) {
  std::size_t end = std::string::npos;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!receive(fd, buffer)) return std::nullopt;
  }
  std::string head = buffer.substr(0, end + 2);
  buffer.erase(0, end + 4);

  ServiceRequest request;
  auto line_end = head.find("\r\n");
  std::string start_line = head.substr(0, line_end);
  auto first_space = start_line.find(' ');
  auto second_space = start_line.find(' ', first_space + 1);
  if (first_space == std::string::npos || second_space == std::string::npos) return std::nullopt;
  request.method = start_line.substr(0, first_space);
  request.target = start_line.substr(first_space + 1, second_space - first_space - 1);
  for (auto at = line_end + 2; at < head.size();) {
    auto next = head.find("\r\n", at);
    std::string field = head.substr(at, next - at);
    auto colon = field.find(':');
    if (colon != std::string::npos) request.headers.emplace_back(lower(field.substr(0, colon)), trim(field.substr(colon + 1)));
    at = next + 2;
  }

  if (lower(request.header("transfer-encoding").value_or("")) == "chunked") {
    auto body = take_chunked(fd, buffer);
    if (!body) return std::nullopt;
    request.body = std::move(*body);
  } else if (auto length = request.header("content-length")) {
    auto body = take(fd, buffer, std::stoul(*length));
    if (!body) return std::nullopt;
    request.body = std::move(*body);
  }
  request.arrived = Clock::now();
  return request;
}

bool ScriptedService::answer(int fd, std::size_t index, const ServiceAnswer& reply) {
  auto finish = [&](int status) {
    std::lock_guard lock(mutex_);
    requests_[index].finished = Clock::now();
    requests_[index].status = status;
  };
  if (reply.delay.count() > 0) {
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, reply.delay, [this] { return stopping_.load(); })) {
      requests_[index].finished = Clock::now();
      return false;
    }
  }
  if (reply.close) {
    finish(0);
    return false;
  }
  std::string text = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
  for (const auto& [name, value] : reply.headers) text += name + ": " + value + "\r\n";
  text += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
  // Stamped before the bytes leave, so a request the answer lets in always arrives after it.
  finish(reply.status);
  return send_all(fd, text);
}

std::vector<ServiceRequest> ScriptedService::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t ScriptedService::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool ScriptedService::wait_requests(std::size_t count, Duration timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

std::size_t max_concurrent(const std::vector<ServiceRequest>& requests) {
  // +1 at each arrival, -1 at each finish; at equal times the finish comes first.
  std::vector<std::pair<Clock::time_point, int>> events;
  for (const auto& request : requests) {
    events.emplace_back(request.arrived, +1);
    events.emplace_back(std::max(request.finished, request.arrived), -1);
  }
  std::sort(events.begin(), events.end());
  long now = 0, most = 0;
  for (const auto& [when, change] : events) {
    now += change;
    most = std::max(most, now);
  }
  return static_cast<std::size_t>(most);
}

}  // namespace causeway::testing
