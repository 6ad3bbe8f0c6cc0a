// amqps:// against the test broker's TLS listener, which requires a client certificate
// from its CA: what connects, and what is refused and why.
#include <gtest/gtest.h>

#include "rabbit_fixture.h"

namespace causeway::testing::rabbit {
namespace {

std::string tls_settings(const std::string& ca, const std::string& extra = "") {
  const RabbitServer& server = rabbit_server();
  return "{ ca: \"" + server.file(ca).string() + "\", cert: \"" + server.file("client.pem").string() + "\", key: \"" +
         server.file("client.key").string() + "\"" + extra + " }";
}

TEST(RabbitTls, AClientCertificateFromTheCaConnectsAndPublishes) {
  metrics::Registry registry;
  // The URL names 127.0.0.1; the server's certificate is checked for it (an IP SAN).
  auto client = make_client(registry, "{}", rabbit_server().tls_url(), tls_settings("ca.pem"));
  ASSERT_EQ(client->problem(), std::nullopt);
  EXPECT_EQ(client->address(), "amqps://127.0.0.1:" + std::to_string(rabbit_server().tls_port()) + "/%2f");
  const std::string queue = unique_name("q");
  ASSERT_EQ(rabbit_server().pika("ch.queue_declare('" + queue + "')\n").exit_code, 0);
  bridge::OutboundMessage message;
  message.key = queue;
  message.value = "over tls";
  EXPECT_EQ(publish(*client->publisher(), message).outcome, Outcome::stored);
  EXPECT_EQ(pika_json("print(json.dumps(ch.basic_get('" + queue + "', auto_ack=True)[2].decode()))\n").as_string(),
            "over tls");
}

TEST(RabbitTls, TheServerNameCanDifferFromTheHostConnectedTo) {
  metrics::Registry registry;
  auto client =
      make_client(registry, "{}", rabbit_server().tls_url(), tls_settings("ca.pem", ", server_name: localhost"));
  EXPECT_EQ(client->problem(), std::nullopt);
}

TEST(RabbitTls, AServerCertificateFromAnotherCaIsRefused) {
  metrics::Registry registry;
  auto client =
      make_client(registry, "{ connect_timeout: 1s }", rabbit_server().tls_url(), tls_settings("other_ca.pem"));
  ASSERT_TRUE(client->problem().has_value());
  EXPECT_NE(client->problem()->find("cannot connect"), std::string::npos) << *client->problem();
  bridge::OutboundMessage message;
  message.key = "q";
  EXPECT_EQ(publish(*client->publisher(), message).outcome, Outcome::not_stored);
}

TEST(RabbitTls, AServerCertificateForAnotherNameIsRefused) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ connect_timeout: 1s }", rabbit_server().tls_url(),
                            tls_settings("ca.pem", ", server_name: rabbit.example"));
  ASSERT_TRUE(client->problem().has_value());
  EXPECT_NE(client->problem()->find("verif"), std::string::npos) << *client->problem();
}

TEST(RabbitTls, WithoutAClientCertificateTheBrokerRefusesTheHandshake) {
  metrics::Registry registry;
  auto client = make_client(registry, "{ connect_timeout: 1s }", rabbit_server().tls_url(),
                            "{ ca: \"" + rabbit_server().file("ca.pem").string() + "\" }");
  EXPECT_TRUE(client->problem().has_value());
}

}  // namespace
}  // namespace causeway::testing::rabbit
