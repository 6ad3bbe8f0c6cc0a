#include "kafka/loopback_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace causeway::kafka {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Copies one direction until either side closes, then ends both, so its twin stops too.
void pump(int from, int to) {
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t got = ::read(from, buffer, sizeof buffer);
    if (got <= 0 && !(got < 0 && errno == EINTR)) break;
    for (ssize_t sent = 0; got > 0 && sent < got;) {
      const ssize_t wrote = ::write(to, buffer + sent, static_cast<std::size_t>(got - sent));
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) {
        ::shutdown(from, SHUT_RDWR);
        ::shutdown(to, SHUT_RDWR);
        return;
      }
      sent += wrote;
    }
  }
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
}

}  // namespace

struct LoopbackRelay::Impl {
  struct Pair {
    int client = -1;
    int broker = -1;
    std::atomic<int> finished{0};  // pumps done; at 2 the pair is joined and closed
    std::thread up, down;
  };
  int listener = -1;
  std::uint16_t target = 0;
  std::thread acceptor;
  std::mutex mutex;
  std::list<Pair> pairs;  // under mutex; a list keeps each pair's address while threads run

  // Each new connection first joins the ones that ended, so kcat runs do not pile up.
  void reap() {
    std::lock_guard lock(mutex);
    for (auto pair = pairs.begin(); pair != pairs.end();) {
      if (pair->finished.load() < 2) {
        ++pair;
        continue;
      }
      pair->up.join();
      pair->down.join();
      ::close(pair->client);
      ::close(pair->broker);
      pair = pairs.erase(pair);
    }
  }

  void accept_loop() {
    for (;;) {
      const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // the listener was shut down
      }
      const int broker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const sockaddr_in address = loopback(target);
      if (broker < 0 || ::connect(broker, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(client);
        if (broker >= 0) ::close(broker);
        continue;
      }
      const int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(broker, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      reap();
      std::lock_guard lock(mutex);
      Pair& pair = pairs.emplace_back();
      pair.client = client;
      pair.broker = broker;
      pair.up = std::thread([&pair] {
        pump(pair.client, pair.broker);
        ++pair.finished;
      });
      pair.down = std::thread([&pair] {
        pump(pair.broker, pair.client);
        ++pair.finished;
      });
    }
  }
};

LoopbackRelay::LoopbackRelay(std::uint16_t port, std::uint16_t target_port) : impl_(std::make_unique<Impl>()) {
  impl_->target = target_port;
  impl_->listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(impl_->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in address = loopback(port);
  if (impl_->listener < 0 || ::bind(impl_->listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(impl_->listener, 64) != 0) {
    const std::string reason = std::strerror(errno);
    if (impl_->listener >= 0) ::close(impl_->listener);
    throw std::runtime_error("embedded broker: cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + reason);
  }
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

LoopbackRelay::~LoopbackRelay() {
  ::shutdown(impl_->listener, SHUT_RDWR);  // wakes accept()
  impl_->acceptor.join();
  ::close(impl_->listener);
  std::lock_guard lock(impl_->mutex);
  for (auto& pair : impl_->pairs) {
    ::shutdown(pair.client, SHUT_RDWR);
    ::shutdown(pair.broker, SHUT_RDWR);
  }
  for (auto& pair : impl_->pairs) {
    pair.up.join();
    pair.down.join();
    ::close(pair.client);
    ::close(pair.broker);
  }
}

}  // namespace causeway::kafka
