// bench/run stream's clients: N server-sent-event streams on one thread (epoll), counting
// the events every client gets. Prints "ready" once every stream's head arrived, then, once
// each client has EVENTS events (or the timeout passed), one line:
//   clients=N events=TOTAL complete=CLIENTS_WITH_ALL seconds=FIRST_TO_LAST
// Usage: sse_clients HOST PORT PATH CLIENTS EVENTS TIMEOUT_SECONDS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kMarker = "\nevent: ";  // one per event; the bench's values hold no such line

struct Stream {
  int fd = -1;
  bool head = false;
  std::string carry;  // the tail of the last read, where a marker may have been cut
  long events = 0;
};

int connect_to(const char* host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host, &to.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s HOST PORT PATH CLIENTS EVENTS TIMEOUT_SECONDS\n", argv[0]);
    return 2;
  }
  const char* host = argv[1];
  const int port = std::atoi(argv[2]);
  const std::string path = argv[3];
  const int clients = std::atoi(argv[4]);
  const long wanted = std::atol(argv[5]);
  const auto deadline = Clock::now() + std::chrono::seconds(std::atoi(argv[6]));
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);

  const int poller = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Stream> streams(static_cast<std::size_t>(clients));
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n";
  for (int i = 0; i < clients; ++i) {
    streams[i].fd = connect_to(host, port);
    ::send(streams[i].fd, request.data(), request.size(), MSG_NOSIGNAL);
    epoll_event watch{EPOLLIN, {.u32 = static_cast<uint32_t>(i)}};
    ::epoll_ctl(poller, EPOLL_CTL_ADD, streams[i].fd, &watch);
  }
  int heads = 0, complete = 0;
  long total = 0;
  Clock::time_point first{}, last{};
  std::vector<epoll_event> ready(256);
  std::vector<char> buffer(1 << 16);
  while (complete < clients && Clock::now() < deadline) {
    const int n = ::epoll_wait(poller, ready.data(), static_cast<int>(ready.size()), 100);
    for (int k = 0; k < n; ++k) {
      Stream& stream = streams[ready[k].data.u32];
      const ssize_t got = ::recv(stream.fd, buffer.data(), buffer.size(), 0);
      if (got <= 0) {
        ::epoll_ctl(poller, EPOLL_CTL_DEL, stream.fd, nullptr);
        continue;
      }
      std::string text = stream.carry;
      text.append(buffer.data(), static_cast<std::size_t>(got));
      if (!stream.head && text.find("\r\n\r\n") != std::string::npos) {
        stream.head = true;
        if (++heads == clients) std::printf("ready\n"), std::fflush(stdout);
      }
      long found = 0;
      for (std::size_t at = text.find(kMarker); at != std::string::npos; at = text.find(kMarker, at + 1)) ++found;
      if (found > 0) {
        if (total == 0) first = Clock::now();
        last = Clock::now();
        const bool was_complete = stream.events >= wanted;
        stream.events += found;
        total += found;
        if (!was_complete && stream.events >= wanted) ++complete;
      }
      stream.carry = text.substr(text.size() > kMarker.size() ? text.size() - kMarker.size() + 1 : 0);
    }
  }
  std::printf("clients=%d events=%ld complete=%d seconds=%.3f\n", clients, total, complete,
              std::chrono::duration<double>(last - first).count());
  return complete == clients ? 0 : 1;
}
