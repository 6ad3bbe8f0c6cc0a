// The embedded broker on a fixed port: what the README's kcat commands rely on.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
