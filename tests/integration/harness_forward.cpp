// Raw sockets, the raw service, forward configs, reloads on demand, steady load.
#include "harness_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
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

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(left, 0));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A socket listening on a port the kernel picks; returns the fd and the port.
std::pair<int, std::uint16_t> listen_anywhere() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 128) != 0) {
    throw std::runtime_error("cannot listen on loopback");
  }
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  return {fd, ntohs(address.sin_port)};
}

}  // namespace

RawSocket RawSocket::connect(const Address& address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(address.port);
  inet_pton(AF_INET, address.host.c_str(), &peer.sin_addr);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot connect to " + address.text());
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return RawSocket(fd);
}

RawSocket::RawSocket(RawSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)), received_(other.received_.load()) {}

RawSocket::~RawSocket() {
  if (fd_ >= 0) close(fd_);
}

bool RawSocket::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

RawSocket::Fill RawSocket::fill(Clock::time_point deadline) {
  pollfd waiting{fd_, POLLIN, 0};
  if (poll(&waiting, 1, remaining_ms(deadline)) == 0) return Fill::timeout;
  char chunk[64 * 1024];
  ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return Fill::closed;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  received_.fetch_add(static_cast<std::size_t>(n));
  return Fill::data;
}

bool RawSocket::receive_until(const std::function<bool(const std::string&)>& enough, Duration timeout) {
  auto deadline = Clock::now() + timeout;
  while (!enough(buffer_)) {
    if (fill(deadline) != Fill::data) return enough(buffer_);
  }
  return true;
}

bool RawSocket::closed_by_peer(Duration timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    switch (fill(deadline)) {
      case Fill::closed:
        return true;
      case Fill::timeout:
        return false;
      case Fill::data:
        break;
    }
  }
}

void RawSocket::reset() {
  linger abort{1, 0};  // close() then sends RST and drops what is unsent
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close(std::exchange(fd_, -1));
}

std::optional<ServiceRequest> read_request_head(RawSocket& socket, Duration timeout) {
  std::size_t end = std::string::npos;
  if (!socket.receive_until([&](const std::string& got) { return (end = got.find("\r\n\r\n")) != std::string::npos; },
                            timeout)) {
    return std::nullopt;
  }
  std::istringstream head(socket.buffer().substr(0, end + 2));
  socket.buffer().erase(0, end + 4);
  ServiceRequest request;
  std::string line;
  std::getline(head, line);
  std::istringstream start(line);
  start >> request.method >> request.target;
  while (std::getline(head, line)) {
    auto colon = line.find(':');
    if (colon != std::string::npos)
      request.headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  request.arrived = Clock::now();
  return request;
}

std::optional<std::string> read_request_body(RawSocket& socket, const ServiceRequest& head, Duration timeout) {
  auto& buffer = socket.buffer();
  auto take = [&](std::size_t size) -> std::optional<std::string> {
    if (!socket.receive_at_least(size, timeout)) return std::nullopt;
    std::string out = buffer.substr(0, size);
    buffer.erase(0, size);
    return out;
  };
  auto take_line = [&]() -> std::optional<std::string> {
    std::size_t end = std::string::npos;
    if (!socket.receive_until([&](const std::string& got) { return (end = got.find("\r\n")) != std::string::npos; },
                              timeout)) {
      return std::nullopt;
    }
    return take(end + 2);
  };
  if (lower(head.header("transfer-encoding").value_or("")) != "chunked") {
    return take(std::stoul(head.header("content-length").value_or("0")));
  }
  std::string body;
  for (;;) {
    auto size_line = take_line();
    if (!size_line) return std::nullopt;
    const std::size_t size = std::stoul(*size_line, nullptr, 16);
    if (size == 0) break;
    auto chunk = take(size + 2);
    if (!chunk) return std::nullopt;
    body += chunk->substr(0, size);
  }
  for (;;) {  // trailer fields up to the empty line
    auto trailer = take_line();
    if (!trailer) return std::nullopt;
    if (*trailer == "\r\n") return body;
  }
}

std::string response_head(int status, const Headers& headers) {
  std::string text = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
  for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
  return text + "\r\n";
}

std::string chunk(std::string_view data) {
  std::ostringstream out;
  out << std::hex << data.size() << "\r\n" << data << "\r\n";
  return out.str();
}

std::string chunked(std::string_view body, std::size_t piece) {
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += piece) out += chunk(body.substr(at, piece));
  return out + chunk("");
}

RawService::RawService(Conversation conversation) : conversation_(std::move(conversation)) {
  std::tie(listen_fd_, port_) = listen_anywhere();
  acceptor_ = std::thread([this] { accept_loop(); });
}

RawService::~RawService() {
  stopping_.store(true);
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);  // wakes conversations blocked in a read
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
}

void RawService::accept_loop() {
  while (!stopping_.load()) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (poll(&waiting, 1, 50) != 1) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++accepted_;
    std::lock_guard lock(mutex_);
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] {
      RawSocket socket(fd);
      try {
        conversation_(socket);
      } catch (const std::exception&) {
        // A broken conversation ends its connection only.
      }
      std::lock_guard lock(mutex_);
      open_fds_.erase(fd);
      // ~RawSocket closes the fd (unless reset() did) once the lock is released: the
      // set no longer names it, so the destructor cannot shut down a reused number.
    });
  }
}

std::uint16_t refused_port() {
  auto [fd, port] = listen_anywhere();
  close(fd);  // the port stays unused for a while: the kernel hands ports out in turn
  return port;
}

std::string ForwardConfig::yaml() const {
  std::string yaml = "admin: { listen: 127.0.0.1:0 }\n";
  yaml += "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0, limits: " + listener_limits + " }\n";
  yaml += "upstreams:\n  backend: { url: " + backend_url + ", " + backend_options + " }\n";
  return yaml + "routes:\n" + routes;
}

std::string forward_route(const std::string& name, const std::string& path, const std::string& to_extra,
                          const std::string& route_extra) {
  std::string text = "  - name: " + name + "\n";
  text += "    from: { listener: public, path: \"" + path + "\" }\n";
  text += "    to: { upstream: backend" + to_extra + " }\n";
  if (!route_extra.empty()) text += "    " + route_extra + "\n";
  return text;
}

std::size_t count_matches(const std::string& text, const std::regex& pattern) {
  std::istringstream lines(text);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) count += std::regex_search(line, pattern) ? 1 : 0;
  return count;
}

// With the Host curl would send: the admin listener takes state changes from loopback Hosts only.
HttpResponse post_reload(const Address& admin) {
  return http(admin, "POST", "/reload", {{"Host", admin.text()}}, {}, 30s);
}

UnwatchedConfig::UnwatchedConfig(CausewayProcess& causeway) : causeway_(causeway) {
  std::ifstream in(causeway.config_file());
  std::stringstream text;
  text << in.rdbuf();
  const std::regex reloaded(R"(config reloaded \(the file changed\))");
  const auto before = count_matches(causeway.log(), reloaded);
  replace_watched(text.str());
  if (!eventually([&] { return count_matches(causeway.log(), reloaded) > before; }, 10s)) {
    throw std::runtime_error("the switch to an unwatched config was not reloaded:\n" + causeway.log());
  }
}

std::filesystem::path UnwatchedConfig::fresh_file(const std::string& yaml) {
  return dir_.write("causeway-" + std::to_string(++generation_) + ".yaml", yaml);
}

void UnwatchedConfig::write(const std::string& yaml) {
  if (current_.empty()) throw std::logic_error("UnwatchedConfig::write before the switch");
  // Written beside and renamed over: Causeway never reads a half-written file.
  auto next = fresh_file(yaml);
  std::filesystem::rename(next, current_);
}

void UnwatchedConfig::replace_watched(const std::string& yaml) {
  current_ = fresh_file(yaml);
  const auto watched = causeway_.config_file();
  const auto link = watched.parent_path() / (watched.filename().string() + ".link");
  std::filesystem::create_symlink(current_, link);
  std::filesystem::rename(link, watched);
}

SteadyLoad::SteadyLoad(Address listener, std::vector<HttpRequest> requests, int clients)
    : listener_(std::move(listener)), requests_(std::move(requests)) {
  for (int client = 0; client < clients; ++client) threads_.emplace_back([this] { run_client(); });
}

void SteadyLoad::run_client() {
  std::optional<HttpConnection> connection;
  for (std::size_t i = 0; !stopping_.load(); ++i) {
    const auto& request = requests_[i % requests_.size()];
    Answer answer{.path = request.path, .sent = Clock::now()};
    if (!connection) connection = HttpConnection::try_connect(listener_, 2s);
    std::optional<HttpResponse> response;
    if (connection && connection->send(request)) response = connection->read_response(10s);
    if (response) {
      answer.status = response->status;
      answer.body = response->body;
    }
    if (!response || lower(response->header("connection").value_or("")) == "close") connection.reset();
    std::lock_guard lock(mutex_);
    answers_.push_back(std::move(answer));
  }
}

std::size_t SteadyLoad::answered() const {
  std::lock_guard lock(mutex_);
  return answers_.size();
}

std::vector<SteadyLoad::Answer> SteadyLoad::stop() {
  stopping_.store(true);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  std::lock_guard lock(mutex_);
  return answers_;
}

}  // namespace causeway::testing
