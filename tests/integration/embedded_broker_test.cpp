// The embedded broker on a fixed port: what the README's kcat commands rely on.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "harness.h"
#include "harness_delivery.h"

namespace causeway::testing {
namespace {

// A loopback port nobody listens on now (the kernel's pick, released again).
std::uint16_t unused_port() {
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);
  return ntohs(address.sin_port);
}

std::string fixed_port_yaml(std::uint16_t port) {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
         "brokers:\n  events:\n    bootstrap: embedded\n    embedded: { port: " + std::to_string(port) + " }\n"
         "routes:\n"
         "  - name: order-created\n"
         "    from: { listener: public, method: POST, path: \"/orders/{customer}\" }\n"
         "    to: { broker: events, topic: orders, key: \"{customer}\" }\n";
}

TEST(EmbeddedBroker, AFixedPortIsWhereClientsBootstrapAndASecondStartThereIsARefusalNamingIt) {
  const std::uint16_t port = unused_port();
  CausewayProcess causeway(fixed_port_yaml(port));
  const std::string address = "127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(causeway.broker(), address) << causeway.log();
  ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c1", {}, "one").status, 202);
  ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c2", {}, "two").status, 202);
  // An independent client that knows only the fixed port.
  auto messages = TopicReader(address, "orders").read(2);
  ASSERT_EQ(messages.size(), 2u);
  auto shown = http(causeway.admin(), "GET", "/config").json();
  EXPECT_EQ(shown.at("brokers").at("events").at("embedded").at("port"), port);

  auto second = run_command({CAUSEWAY_BIN, "--config", causeway.config_file().string()}, 20s);
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("cannot listen on " + address), std::string::npos) << second.output;
}

// The broker's side of each client connection in a Causeway: TCP_NODELAY of every socket
// PID has accepted on PORT, copied into this process with pidfd_getfd; nothing when this
// kernel has no pidfd_open.
std::optional<std::vector<int>> nodelay_of_accepted(pid_t pid, std::uint16_t port) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return std::nullopt;
  std::vector<int> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec).string().rfind("socket:", 0) != 0) continue;
    const int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, std::stoi(entry.path().filename()), 0));
    if (fd < 0) continue;
    sockaddr_in local{}, peer{};
    socklen_t local_length = sizeof local, peer_length = sizeof peer;
    int nodelay = 0;
    socklen_t nodelay_length = sizeof nodelay;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) == 0 && local.sin_family == AF_INET &&
        ntohs(local.sin_port) == port && ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0 &&
        ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nodelay_length) == 0)
      found.push_back(nodelay);
    ::close(fd);
  }
  ::close(pidfd);
  return found;
}

// Without TCP_NODELAY on its accepted connections the mock broker's acks waited for the
// client's delayed ACK: an event route below linger.ms 1 had a p99 of 36-45 ms.
TEST(EmbeddedBroker, ItsSideOfEveryClientConnectionSendsWithoutNagle) {
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
      "brokers:\n  events: { bootstrap: embedded }\n"
      "routes:\n"
      "  - name: order-created\n"
      "    from: { listener: public, method: POST, path: \"/orders/{customer}\" }\n"
      "    to: { broker: events, topic: orders, key: \"{customer}\" }\n");
  ASSERT_EQ(http(causeway.listener(), "POST", "/orders/c1", {}, "one").status, 202);
  const std::string broker = causeway.broker();
  const auto port = static_cast<std::uint16_t>(std::stoi(broker.substr(broker.rfind(':') + 1)));
  const auto nodelay = nodelay_of_accepted(causeway.pid(), port);
  if (!nodelay) GTEST_SKIP() << "pidfd_open: " << std::strerror(errno);
  ASSERT_FALSE(nodelay->empty()) << "no accepted connection on " << broker << " could be read";
  for (int value : *nodelay) EXPECT_NE(value, 0) << "a connection accepted by the embedded broker has Nagle on";
}

TEST(EmbeddedBroker, APortForABrokerThatIsNotEmbeddedIsAConfigError) {
  TempDir dir;
  auto file = dir.write("c.yaml", "brokers:\n  events:\n    bootstrap: \"k1:9092\"\n    embedded: { port: 9092 }\n").string();
  auto result = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(file + ":4:5: brokers.events.embedded: only goes with 'bootstrap: embedded'"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace causeway::testing
