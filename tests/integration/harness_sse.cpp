#include "harness_sse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace causeway::testing {

std::size_t raise_open_files(std::size_t wanted) {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::min<rlim_t>(files.rlim_max, wanted);
  ::setrlimit(RLIMIT_NOFILE, &files);
  return files.rlim_cur;
}

std::vector<std::string> next_data(SseClient& client, std::size_t count, Duration timeout) {
  std::vector<std::string> data;
  while (data.size() < count) {
    auto event = client.next(timeout);
    if (!event) break;
    data.push_back(event->data);
  }
  return data;
}

int clients_with_all(std::vector<std::unique_ptr<SseClient>>& clients, std::size_t count, Duration timeout) {
  int complete = 0;
  for (auto& client : clients) complete += next_data(*client, count, timeout).size() == count;
  return complete;
}

SseClient::SseClient(const Address& address, const std::string& path, const Headers& headers, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(address.port);
  ::inet_pton(AF_INET, address.host.c_str(), &to.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) throw std::runtime_error("cannot connect");
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
}

void SseClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string SseClient::head(Duration timeout) {
  if (!head_.empty()) return head_;
  fill_until(timeout, [&] { return raw_.find("\r\n\r\n") != std::string::npos; });
  const auto end = raw_.find("\r\n\r\n");
  if (end == std::string::npos) return {};
  head_ = raw_.substr(0, end + 2);
  raw_.erase(0, end + 4);
  return head_;
}

int SseClient::status(Duration timeout) {
  const std::string text = head(timeout);
  return text.size() > 12 ? std::stoi(text.substr(9, 3)) : 0;
}

std::optional<SseEvent> SseClient::next(Duration timeout) {
  head(timeout);
  std::optional<SseEvent> event;
  fill_until(timeout, [&] { return (event = take_event()).has_value(); });
  return event;
}

bool SseClient::comment(Duration timeout) {
  const std::size_t before = comments_;
  head(timeout);
  fill_until(timeout, [&] {
    while (auto event = take_event()) pending_.push_back(*event);
    return comments_ > before;
  });
  return comments_ > before;
}

bool SseClient::closed(Duration timeout) {
  fill_until(timeout, [&] { return eof_; });
  dechunk();
  return eof_;
}

bool SseClient::pump() {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      raw_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) eof_ = true;
    return !eof_;
  }
}

void SseClient::dechunk() {
  if (head_.empty()) return;
  for (;;) {
    const auto line_end = raw_.find("\r\n");
    if (line_end == std::string::npos) return;
    const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
    if (size == 0) {
      last_chunk_ = true;
      raw_.erase(0, line_end + 2);
      return;
    }
    if (raw_.size() < line_end + 2 + size + 2) return;
    body_.append(raw_, line_end + 2, size);
    raw_.erase(0, line_end + 2 + size + 2);
  }
}

std::optional<SseEvent> SseClient::take_event() {
  if (!pending_.empty()) {
    SseEvent first = pending_.front();
    pending_.erase(pending_.begin());
    return first;
  }
  dechunk();
  for (;;) {
    const auto end = body_.find("\n\n");
    if (end == std::string::npos) return std::nullopt;
    const std::string block = body_.substr(0, end + 1);
    body_.erase(0, end + 2);
    SseEvent event;
    bool fields = false;  // a block of comments or retry: alone is no event
    std::vector<std::string> data;
    std::size_t start = 0;
    while (start < block.size()) {
      const auto nl = block.find('\n', start);
      const std::string line = block.substr(start, nl - start);
      start = nl + 1;
      if (line.starts_with(":")) {
        ++comments_;
      } else if (line.starts_with("id:")) {
        event.id = line.substr(line.starts_with("id: ") ? 4 : 3);
        fields = true;
      } else if (line.starts_with("event: ")) {
        event.type = line.substr(7);
        fields = true;
      } else if (line.starts_with("data: ")) {
        data.push_back(line.substr(6));
        fields = true;
      }
    }
    for (std::size_t i = 0; i < data.size(); ++i) event.data += (i ? "\n" : "") + data[i];
    if (fields) return event;
  }
}

void SseClient::fill_until(Duration timeout, const std::function<bool()>& enough) {
  const auto deadline = Clock::now() + timeout;
  while (!enough() && !eof_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return;
    pollfd watched{fd_, POLLIN, 0};
    if (::poll(&watched, 1, static_cast<int>(left.count())) <= 0) return;
    pump();
    if (head_.empty() && raw_.find("\r\n\r\n") != std::string::npos) return;  // head() takes it
  }
}

}  // namespace causeway::testing
