// tls: on listeners and upstreams, and https:// urls: the structs they become.
#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

TEST(ConfigTls, ListenerWithoutTlsIsPlainHttp) {
  const Config config = parse_config("listeners:\n  public: { protocol: http, listen: :8080 }\n", "c.yaml");
  EXPECT_FALSE(config.listeners[0].tls.has_value());
}

TEST(ConfigTls, ListenerTlsReadsFilesWithTheirPositions) {
  const Config config = parse_config(
      "listeners:\n"
      "  public:\n"
      "    protocol: http\n"
      "    listen: 0.0.0.0:8443\n"
      "    tls:\n"
      "      cert: /etc/causeway/server.pem\n"
      "      key: /etc/causeway/server.key\n",
      "c.yaml");
  const auto& tls = config.listeners[0].tls;
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->cert.path, "/etc/causeway/server.pem");
  EXPECT_EQ(tls->cert.mark.line, 6);
  EXPECT_EQ(tls->cert.mark.column, 13);
  EXPECT_EQ(tls->key.path, "/etc/causeway/server.key");
  EXPECT_EQ(tls->key.mark.line, 7);
  EXPECT_FALSE(tls->client_ca.has_value());
}

TEST(ConfigTls, ClientCertificatesAreRequiredUnlessSaidOtherwise) {
  const std::string head =
      "listeners:\n"
      "  public:\n"
      "    protocol: http\n"
      "    listen: :8443\n"
      "    tls:\n"
      "      cert: s.pem\n"
      "      key: s.key\n"
      "      client_ca: ${CAUSEWAY_TEST_TLS_DIR:-/etc/causeway}/clients.pem\n";
  const Config required = parse_config(head, "c.yaml");
  ASSERT_TRUE(required.listeners[0].tls->client_ca.has_value());
  EXPECT_EQ(required.listeners[0].tls->client_ca->path, "/etc/causeway/clients.pem");
  EXPECT_TRUE(required.listeners[0].tls->require_client_cert);

  const Config optional = parse_config(head + "      require_client_cert: false\n", "c.yaml");
  EXPECT_FALSE(optional.listeners[0].tls->require_client_cert);
}

TEST(ConfigTls, HttpsUrlTurnsTlsOnWithDefaults) {
  const Config config = parse_config(
      "upstreams:\n"
      "  secure: { url: https://orders.internal/api }\n"
      "  plain: { url: http://orders.internal }\n",
      "c.yaml");
  const Upstream& secure = config.upstreams[0];
  EXPECT_EQ(secure.scheme, "https");
  EXPECT_EQ(secure.host, "orders.internal");
  EXPECT_EQ(secure.port, 443);
  EXPECT_EQ(secure.base_path, "/api");
  ASSERT_TRUE(secure.tls.has_value());
  EXPECT_FALSE(secure.tls->ca.has_value());
  EXPECT_TRUE(secure.tls->verify);
  EXPECT_EQ(secure.tls->server_name, "orders.internal");
  EXPECT_FALSE(secure.tls->cert.has_value());

  const Upstream& plain = config.upstreams[1];
  EXPECT_EQ(plain.scheme, "http");
  EXPECT_EQ(plain.port, 80);
  EXPECT_FALSE(plain.tls.has_value());
}

TEST(ConfigTls, UpstreamTlsReadsEverySetting) {
  const Config config = parse_config(
      "upstreams:\n"
      "  secure:\n"
      "    url: https://10.0.0.7:8443\n"
      "    tls:\n"
      "      ca: /etc/causeway/ca.pem\n"
      "      verify: false\n"
      "      server_name: orders.internal\n"
      "      cert: /etc/causeway/client.pem\n"
      "      key: /etc/causeway/client.key\n",
      "c.yaml");
  const Upstream& upstream = config.upstreams[0];
  EXPECT_EQ(upstream.host, "10.0.0.7");
  EXPECT_EQ(upstream.port, 8443);
  ASSERT_TRUE(upstream.tls.has_value());
  EXPECT_EQ(upstream.tls->ca->path, "/etc/causeway/ca.pem");
  EXPECT_EQ(upstream.tls->ca->mark.line, 5);
  EXPECT_FALSE(upstream.tls->verify);
  EXPECT_EQ(upstream.tls->server_name, "orders.internal");
  EXPECT_EQ(upstream.tls->cert->path, "/etc/causeway/client.pem");
  EXPECT_EQ(upstream.tls->key->path, "/etc/causeway/client.key");
  EXPECT_EQ(upstream.tls->key->mark.line, 9);
}

TEST(ConfigTls, IpV6HttpsUrl) {
  const Config config = parse_config("upstreams:\n  v6: { url: \"https://[::1]\" }\n", "c.yaml");
  EXPECT_EQ(config.upstreams[0].host, "::1");
  EXPECT_EQ(config.upstreams[0].port, 443);
  EXPECT_EQ(config.upstreams[0].tls->server_name, "::1");
}

}  // namespace
}  // namespace causeway::config
