// The HTTP side of the harness: a raw-socket client and the metrics page parser.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cerrno>
#include <sstream>
#include <stdexcept>

#include "harness.h"

namespace causeway::testing {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return std::string(text);
}

bool has_header(const Headers& headers, const std::string& name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return lower(h.first) == name; });
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(left, 0));
}

}  // namespace

std::optional<std::string> HttpResponse::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) throw std::runtime_error("HTTP " + std::to_string(status) + " body is not JSON: " + body);
  return value;
}

std::string HttpResponse::error() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (!ec && value.is_object()) {
    if (auto* code = value.as_object().if_contains("error"); code && code->is_string()) {
      return std::string(code->as_string());
    }
  }
  return "(no JSON error in: " + body + ")";
}

std::string HttpRequest::text() const {
  std::string out = method + " " + path + " HTTP/1.1\r\n";
  if (!has_header(headers, "host")) out += "Host: causeway.test\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  if (!has_header(headers, "content-length") && (!body.empty() || method == "POST" || method == "PUT")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  return out + "\r\n" + body;
}

HttpConnection::HttpConnection(const Address& address, Duration timeout) {
  auto connection = try_connect(address, timeout);
  if (!connection) throw std::runtime_error("cannot connect to " + address.text());
  *this = std::move(*connection);
}

std::optional<HttpConnection> HttpConnection::try_connect(const Address& address, Duration timeout) {
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(address.port);
  if (inet_pton(AF_INET, address.host.c_str(), &peer.sin_addr) != 1) return std::nullopt;

  HttpConnection connection;
  connection.fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (connection.fd_ < 0) return std::nullopt;
  if (connect(connection.fd_, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    if (errno != EINPROGRESS) return std::nullopt;
    pollfd waiting{connection.fd_, POLLOUT, 0};
    if (poll(&waiting, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(connection.fd_, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return std::nullopt;
  }
  // Blocking from here on; reads wait in poll() with a deadline, sends give up after 10 s.
  fcntl(connection.fd_, F_SETFL, fcntl(connection.fd_, F_GETFL) & ~O_NONBLOCK);
  timeval send_timeout{10, 0};
  setsockopt(connection.fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  int one = 1;
  setsockopt(connection.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return connection;
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

bool HttpConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

HttpConnection::Fill HttpConnection::fill(Clock::time_point deadline) {
  pollfd waiting{fd_, POLLIN, 0};
  int ready = poll(&waiting, 1, remaining_ms(deadline));
  if (ready == 0) return Fill::timeout;
  char chunk[16 * 1024];
  ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return Fill::closed;  // FIN, or RST (ECONNRESET)
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return Fill::data;
}

bool HttpConnection::fill_until(Clock::time_point deadline, const std::function<bool()>& enough) {
  while (!enough()) {
    if (fill(deadline) != Fill::data) return enough();
  }
  return true;
}

std::optional<HttpResponse> HttpConnection::read_response(Duration timeout) {
  auto deadline = Clock::now() + timeout;
  std::size_t head_end = std::string::npos;
  if (!fill_until(deadline, [&] { return (head_end = buffer_.find("\r\n\r\n")) != std::string::npos; })) {
    return std::nullopt;
  }
  HttpResponse response;
  std::istringstream head(buffer_.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  std::istringstream status_line(line);
  status_line >> response.version >> response.status;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    response.headers.emplace_back(lower(line.substr(0, colon)), trim(std::string_view(line).substr(colon + 1)));
  }
  std::size_t at = head_end + 4;

  const bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  auto length = response.header("content-length");
  if (bodiless) {
    buffer_.erase(0, at);
  } else if (lower(response.header("transfer-encoding").value_or("")) == "chunked") {
    for (;;) {
      std::size_t line_end = std::string::npos;
      if (!fill_until(deadline, [&] { return (line_end = buffer_.find("\r\n", at)) != std::string::npos; })) {
        return std::nullopt;
      }
      std::size_t size = std::stoul(buffer_.substr(at, line_end - at), nullptr, 16);
      at = line_end + 2;
      if (size == 0) break;
      if (!fill_until(deadline, [&] { return buffer_.size() >= at + size + 2; })) return std::nullopt;
      response.body += buffer_.substr(at, size);
      at += size + 2;
    }
    // Trailer fields, then the empty line.
    for (std::size_t line_end;;) {
      if (!fill_until(deadline, [&] { return (line_end = buffer_.find("\r\n", at)) != std::string::npos; })) {
        return std::nullopt;
      }
      bool last = line_end == at;
      at = line_end + 2;
      if (last) break;
    }
    buffer_.erase(0, at);
  } else if (length) {
    std::size_t size = std::stoul(*length);
    if (!fill_until(deadline, [&] { return buffer_.size() >= at + size; })) return std::nullopt;
    response.body = buffer_.substr(at, size);
    buffer_.erase(0, at + size);
  } else {
    // Delimited by the end of the connection.
    while (fill(deadline) == Fill::data) {
    }
    response.body = buffer_.substr(at);
    buffer_.clear();
  }
  return response;
}

bool HttpConnection::closed_by_peer(Duration timeout) {
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

HttpResponse http(const Address& address, const std::string& method, const std::string& path, const Headers& headers,
                  const std::string& body, Duration timeout) {
  HttpConnection connection(address);
  HttpRequest request{method, path, headers, body, false};
  if (!connection.send(request)) throw std::runtime_error("cannot send " + method + " " + path);
  auto response = connection.read_response(timeout);
  if (!response) throw std::runtime_error("no response to " + method + " " + path + " from " + address.text());
  return *response;
}

EventLoad::EventLoad(Address listener, int clients) : listener_(std::move(listener)) {
  for (int client = 0; client < clients; ++client) threads_.emplace_back([this, client] { run_client(client); });
}

void EventLoad::run_client(int client) {
  std::optional<HttpConnection> connection;
  for (int i = 0; !stopping_.load(); ++i) {
    if (!connection) connection = HttpConnection::try_connect(listener_, 2s);
    if (!connection) {
      ++refused_clients_;
      return;
    }
    Outcome outcome{.key = "k" + std::to_string(client) + "-" + std::to_string(i), .sent = Clock::now()};
    HttpRequest request{
        .method = "POST", .path = "/orders/" + outcome.key + "/events", .body = R"({"request":")" + outcome.key + "\"}"};
    std::optional<HttpResponse> response;
    if (connection->send(request)) response = connection->read_response(20s);
    outcome.answered = Clock::now();
    if (response) {
      outcome.status = response->status;
      boost::system::error_code ec;
      auto body = boost::json::parse(response->body, ec);
      if (const auto* fields = ec ? nullptr : body.if_object()) {
        if (auto* id = fields->if_contains("id"); id && id->is_string()) outcome.id = std::string(id->as_string());
        if (auto* partition = fields->if_contains("partition"); partition && partition->is_int64()) {
          outcome.partition = partition->as_int64();
        }
        if (auto* offset = fields->if_contains("offset"); offset && offset->is_int64()) outcome.offset = offset->as_int64();
      }
      if (response->status != 202) outcome.error = response->error();
    }
    if (!response || lower(response->header("connection").value_or("")) == "close") connection.reset();
    std::lock_guard lock(mutex_);
    outcomes_.push_back(std::move(outcome));
  }
}

std::size_t EventLoad::count(int status) const {
  std::lock_guard lock(mutex_);
  return std::count_if(outcomes_.begin(), outcomes_.end(), [&](const auto& o) { return o.status == status; });
}

std::vector<EventLoad::Outcome> EventLoad::stop() {
  stopping_.store(true);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  std::lock_guard lock(mutex_);
  return outcomes_;
}

MetricsPage::MetricsPage(const std::string& text) : text_(text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    Sample sample;
    auto name_end = line.find_first_of("{ ");
    sample.name = line.substr(0, name_end);
    std::size_t at = name_end;
    if (line[at] == '{') {
      // name="value", ... with \" and \\ escaped inside values
      for (++at; at < line.size() && line[at] != '}';) {
        auto equals = line.find('=', at);
        std::string label = line.substr(at, equals - at);
        std::string value;
        for (at = equals + 2; at < line.size() && line[at] != '"'; ++at) {
          if (line[at] == '\\') ++at;
          value += line[at];
        }
        sample.labels[label] = value;
        at += 1;
        if (at < line.size() && line[at] == ',') ++at;
      }
      ++at;
    }
    sample.value = std::stod(line.substr(at));
    samples_.push_back(std::move(sample));
  }
}

std::optional<double> MetricsPage::value(const std::string& name, const Labels& labels) const {
  std::optional<double> sum;
  for (const auto& sample : samples_) {
    if (sample.name != name) continue;
    bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
      auto found = sample.labels.find(label.first);
      return found != sample.labels.end() && found->second == label.second;
    });
    if (match) sum = sum.value_or(0) + sample.value;
  }
  return sum;
}

MetricsPage scrape_metrics(const Address& admin) {
  auto response = http(admin, "GET", "/metrics");
  if (response.status != 200) throw std::runtime_error("/metrics answered " + std::to_string(response.status));
  return MetricsPage(response.body);
}

}  // namespace causeway::testing
