// TLS: HTTPS listeners (every kind of route, plain HTTP to the TLS port, client
// certificates), forwards to https upstreams (CA verification, SNI, verify: false),
// certificates re-read by a reload, and the Kafka TLS/SASL example.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "harness.h"
#include "harness_service.h"
#include "harness_tls.h"

namespace causeway::testing {
namespace {

// EXPECT_PRED2(contains, text, part) shows both when it fails.
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A CA, a server certificate for localhost and 127.0.0.1, a client certificate, and a
// second CA that signed nothing Causeway is told to trust.
class TlsTest : public ::testing::Test {
 protected:
  TlsTest() {
    pki.make_ca("ca", "Causeway Test CA");
    pki.make_ca("other-ca", "Stranger CA");
    pki.issue("server", "localhost", {"localhost", "127.0.0.1"});
    pki.issue("client", "test-client", {});
    pki.issue("stranger", "test-client", {}, "other-ca");
  }

  // Lines of a listener's tls: mapping, indented for `listeners.<name>`.
  std::string listener_tls(const std::string& more = "") const {
    return "    tls:\n      cert: " + pki.path("server.pem") + "\n      key: " + pki.path("server.key") + "\n" + more;
  }

  // An HTTPS listener "public" with an event route, a direct route and a forward route
  // to `service`.
  std::string listener_config(const std::string& tls, const ScriptedService& service) const {
    return "admin: { listen: 127.0.0.1:0 }\n"
           "listeners:\n"
           "  public:\n"
           "    protocol: http\n"
           "    listen: 127.0.0.1:0\n"
           "    limits: { header_timeout: 500ms }\n" +
           tls +
           "brokers:\n"
           "  events: { bootstrap: embedded, options: { linger.ms: 1 } }\n"
           "upstreams:\n"
           "  service: { url: " + service.url() + " }\n"
           "routes:\n"
           "  - name: order-created\n"
           "    from: { listener: public, method: POST, path: \"/orders/{customer}/events\" }\n"
           "    to: { broker: events, topic: orders.created, key: \"{customer}\" }\n"
           "  - name: status\n"
           "    from: { listener: public, path: /status }\n"
           "    to: { status: 200, body: '{\"ok\":true}' }\n"
           "  - name: api\n"
           "    from: { listener: public, path: \"/api/{rest=**}\" }\n"
           "    to: { upstream: service }\n";
  }

  std::string https(const Address& address, const std::string& path, const std::string& host = "localhost") const {
    return "https://" + host + ":" + std::to_string(address.port) + path;
  }

  std::vector<std::string> client_certificate() const {
    return {"--cert", pki.path("client.pem"), "--key", pki.path("client.key")};
  }

  double handshake_failures(const CausewayProcess& causeway) const {
    return scrape_metrics(causeway.admin())
        .value("causeway_http_tls_handshake_failures_total", {{"listener", "public"}})
        .value_or(-1);
  }

  TestPki pki;
};

TEST_F(TlsTest, HttpsListenerServesEventDirectAndForwardRoutes) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{200, "from the service"}; });
  CausewayProcess causeway(listener_config(listener_tls(), service));
  const auto address = causeway.listener();
  const std::string ca = pki.path("ca.pem");

  auto event = curl({"--cacert", ca, "-XPOST", "-H", "content-type: application/json", "-d", "{\"sku\":\"A1\"}",
                     https(address, "/orders/c42/events")});
  EXPECT_EQ(event.status, 202) << event.errors;
  EXPECT_PRED2(contains, event.body, "\"topic\":\"orders.created\"");

  auto direct = curl({"--cacert", ca, https(address, "/status", "127.0.0.1")});  // verified by its IP SAN
  EXPECT_EQ(direct.status, 200) << direct.errors;
  EXPECT_EQ(direct.body, "{\"ok\":true}");

  auto forwarded = curl({"--cacert", ca, "-H", "x-forwarded-client-cert: Subject=\"CN=forged\"",
                         https(address, "/api/orders")});
  EXPECT_EQ(forwarded.status, 200) << forwarded.errors;
  EXPECT_EQ(forwarded.body, "from the service");
  ASSERT_EQ(service.request_count(), 1u);
  const auto request = service.requests()[0];
  EXPECT_EQ(request.target, "/api/orders");
  EXPECT_EQ(request.header("x-forwarded-proto"), "https");
  EXPECT_EQ(request.header("x-forwarded-client-cert"), std::nullopt);  // a client's own never passes

  EXPECT_EQ(handshake_failures(causeway), 0);
  EXPECT_PRED2(contains, causeway.log(), "listener 'public' (https) listening on");
}

TEST_F(TlsTest, PlainHttpToTheTlsPortGetsA400InPlainHttpAndIsCounted) {
  ScriptedService service;
  CausewayProcess causeway(listener_config(listener_tls(), service));
  const auto address = causeway.listener();

  HttpConnection plain(address);
  ASSERT_TRUE(plain.send(HttpRequest{"GET", "/status"}));
  auto response = plain.read_response(5s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->error(), "bad_request");
  EXPECT_PRED2(contains, response->body, "this listener speaks HTTPS");
  EXPECT_TRUE(plain.closed_by_peer(2s));

  auto from_curl = curl({"http://127.0.0.1:" + std::to_string(address.port) + "/status"});
  EXPECT_EQ(from_curl.status, 400) << from_curl.errors;

  EXPECT_EQ(handshake_failures(causeway), 2);
  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_EQ(metrics.value("causeway_http_protocol_errors_total", {{"listener", "public"}, {"code", "400"}}), 2);
}

TEST_F(TlsTest, ClientThatNeverFinishesTheHandshakeIsDroppedAtTheHeaderTimeout) {
  ScriptedService service;
  CausewayProcess causeway(listener_config(listener_tls(), service));

  HttpConnection silent(causeway.listener());
  const auto begin = Clock::now();
  EXPECT_TRUE(silent.closed_by_peer(5s));
  EXPECT_GE(Clock::now() - begin, 400ms);
  EXPECT_LT(Clock::now() - begin, 3s);
  EXPECT_TRUE(eventually([&] { return handshake_failures(causeway) == 1; }, 2s));
}

TEST_F(TlsTest, RequiredClientCertificate) {
  ScriptedService service;
  CausewayProcess causeway(listener_config(listener_tls("      client_ca: " + pki.path("ca.pem") + "\n"), service));
  const auto address = causeway.listener();
  const std::string ca = pki.path("ca.pem");

  auto without = curl({"--cacert", ca, https(address, "/status")});
  EXPECT_NE(without.exit_code, 0) << without.errors;
  EXPECT_EQ(without.status, 0);

  auto stranger = curl({"--cacert", ca, "--cert", pki.path("stranger.pem"), "--key", pki.path("stranger.key"),
                        https(address, "/status")});
  EXPECT_NE(stranger.exit_code, 0) << stranger.errors;
  EXPECT_EQ(stranger.status, 0);

  auto args = client_certificate();
  args.insert(args.end(), {"--cacert", ca, "-H", "x-forwarded-client-cert: Subject=\"CN=forged\"",
                           https(address, "/api/who")});
  auto with = curl(args);
  EXPECT_EQ(with.status, 200) << with.errors;
  ASSERT_EQ(service.request_count(), 1u);
  const auto forwarded = service.requests()[0].header("x-forwarded-client-cert").value_or("(none)");
  EXPECT_TRUE(std::regex_match(forwarded, std::regex("Hash=[0-9a-f]{64};Subject=\"CN=test-client,O=Causeway Tests\"")))
      << forwarded;

  EXPECT_TRUE(eventually([&] { return handshake_failures(causeway) == 2; }, 2s)) << handshake_failures(causeway);
}

TEST_F(TlsTest, OptionalClientCertificate) {
  ScriptedService service;
  CausewayProcess causeway(listener_config(
      listener_tls("      client_ca: " + pki.path("ca.pem") + "\n      require_client_cert: false\n"), service));
  const auto address = causeway.listener();

  auto anonymous = curl({"--cacert", pki.path("ca.pem"), "-H", "x-forwarded-client-cert: Subject=\"CN=forged\"",
                         https(address, "/api/anonymous")});
  EXPECT_EQ(anonymous.status, 200) << anonymous.errors;
  auto args = client_certificate();
  args.insert(args.end(), {"--cacert", pki.path("ca.pem"), https(address, "/api/known")});
  EXPECT_EQ(curl(args).status, 200);

  ASSERT_EQ(service.request_count(), 2u);
  EXPECT_EQ(service.requests()[0].header("x-forwarded-client-cert"), std::nullopt);
  EXPECT_PRED2(contains, service.requests()[1].header("x-forwarded-client-cert").value_or("(none)"),
               "Subject=\"CN=test-client,O=Causeway Tests\"");
}

// Another Causeway plays the HTTPS upstream: a listener with a direct route.
class TlsUpstreamTest : public TlsTest {
 protected:
  TlsUpstreamTest()
      : upstream("admin: { listen: 127.0.0.1:0 }\n"
                 "listeners:\n"
                 "  public:\n"
                 "    protocol: http\n"
                 "    listen: 127.0.0.1:0\n" +
                 listener_tls() +
                 "routes:\n"
                 "  - name: hello\n"
                 "    from: { listener: public, path: /hello }\n"
                 "    to: { status: 200, body: secure hello, content_type: text/plain }\n") {}

  // A plain listener "public" forwarding /<name> to upstream <name> at /hello.
  std::string forwarding_config(const std::vector<std::pair<std::string, std::string>>& upstreams) const {
    std::string text =
        "admin: { listen: 127.0.0.1:0 }\n"
        "listeners:\n"
        "  public: { protocol: http, listen: 127.0.0.1:0 }\n"
        "upstreams:\n";
    for (const auto& [name, settings] : upstreams) text += "  " + name + ":\n" + settings;
    text += "routes:\n";
    for (const auto& [name, settings] : upstreams) {
      text += "  - name: " + name + "\n    from: { listener: public, path: /" + name + " }\n    to: { upstream: " + name +
              ", path: /hello }\n";
    }
    return text;
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(upstream.listener().port); }

  CausewayProcess upstream;
};

TEST_F(TlsUpstreamTest, ForwardVerifiesTheUpstreamAgainstTheConfiguredCa) {
  const std::string ca = pki.path("ca.pem");
  const std::string other = pki.path("other-ca.pem");
  CausewayProcess causeway(forwarding_config({
      {"verified", "    url: " + url() + "\n    tls: { ca: " + ca + " }\n"},
      {"by-name", "    url: " + url() + "\n    tls: { ca: " + ca + ", server_name: localhost }\n"},
      {"wrong-ca", "    url: " + url() + "\n    tls: { ca: " + other + " }\n"},
      {"wrong-name", "    url: " + url() + "\n    tls: { ca: " + ca + ", server_name: billing.internal }\n"},
      {"unverified", "    url: " + url() + "\n    tls: { ca: " + other + ", verify: false }\n"},
  }));
  const auto address = causeway.listener();
  const std::string upstream_address = "127.0.0.1:" + std::to_string(upstream.listener().port);

  for (const std::string name : {"verified", "by-name", "unverified"}) {
    auto response = http(address, "GET", "/" + name);
    EXPECT_EQ(response.status, 200) << name << ": " << response.body;
    EXPECT_EQ(response.body, "secure hello") << name;
  }

  auto wrong_ca = http(address, "GET", "/wrong-ca");
  EXPECT_EQ(wrong_ca.status, 502);
  EXPECT_EQ(wrong_ca.error(), "bad_gateway");
  EXPECT_PRED2(contains, wrong_ca.body, "upstream 'wrong-ca': TLS handshake with " + upstream_address +
                                       " failed: certificate verify failed (unable to get local issuer certificate)");

  auto wrong_name = http(address, "GET", "/wrong-name");
  EXPECT_EQ(wrong_name.status, 502);
  EXPECT_PRED2(contains, wrong_name.body, "TLS handshake with " + upstream_address +
                                         " failed: certificate verify failed (hostname mismatch)");

  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_EQ(metrics.value("causeway_upstream_requests_total", {{"upstream", "wrong-ca"}, {"code", "connect_failed"}}), 1);
  EXPECT_EQ(metrics.value("causeway_upstream_requests_total", {{"upstream", "verified"}, {"code", "200"}}), 1);
  EXPECT_PRED2(contains, causeway.log(), "upstream 'unverified': TLS verification is off");
}

TEST_F(TlsUpstreamTest, PooledTlsConnectionsAreReused) {
  CausewayProcess causeway(forwarding_config({{"verified", "    url: " + url() + "\n    tls: { ca: " + pki.path("ca.pem") + " }\n"}}));
  HttpConnection client(causeway.listener());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.send(HttpRequest{"GET", "/verified"}));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
  }
  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_EQ(metrics.value("causeway_upstream_connects_total", {{"upstream", "verified"}}), 1);
}

// `openssl s_server` answers with the certificate for orders.internal only when the
// client names it by SNI, and with one for another name otherwise.
TEST_F(TlsTest, ServerNameIsSentAsSni) {
  pki.issue("orders", "orders.internal", {"orders.internal"});
  pki.issue("default", "default.internal", {"default.internal"});
  Subprocess server({kOpenssl, "s_server", "-accept", "127.0.0.1:0", "-www", "-cert", pki.path("default.pem"),
                     "-key", pki.path("default.key"), "-servername", "orders.internal", "-cert2",
                     pki.path("orders.pem"), "-key2", pki.path("orders.key")});
  auto accept = server.wait_for_line(std::regex(R"(ACCEPT (\S+))"), 10s);
  ASSERT_TRUE(accept.has_value()) << server.output();
  const std::string url = "https://" + (*accept)[1];
  const std::string ca = pki.path("ca.pem");

  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "listeners:\n"
      "  public: { protocol: http, listen: 127.0.0.1:0 }\n"
      "upstreams:\n"
      "  orders: { url: \"" + url + "\", tls: { ca: " + ca + ", server_name: orders.internal } }\n"
      "  by-address: { url: \"" + url + "\", tls: { ca: " + ca + " } }\n"
      "routes:\n"
      "  - name: orders\n"
      "    from: { listener: public, path: /orders }\n"
      "    to: { upstream: orders, path: / }\n"
      "  - name: by-address\n"
      "    from: { listener: public, path: /by-address }\n"
      "    to: { upstream: by-address, path: / }\n");

  auto named = http(causeway.listener(), "GET", "/orders");
  EXPECT_EQ(named.status, 200) << named.body;
  EXPECT_PRED2(contains, named.body, "s_server");

  // No SNI for an address: s_server's default certificate, which is not for 127.0.0.1.
  auto by_address = http(causeway.listener(), "GET", "/by-address");
  EXPECT_EQ(by_address.status, 502);
  EXPECT_PRED2(contains, by_address.body, "certificate verify failed (IP address mismatch)");
}

TEST_F(TlsTest, ReloadReReadsTheCertificateFiles) {
  pki.issue("first", "first", {"localhost", "127.0.0.1"});
  pki.issue("second", "second", {"localhost", "127.0.0.1"});
  std::filesystem::copy_file(pki.path("first.pem"), pki.path("server.pem"), std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki.path("first.key"), pki.path("server.key"), std::filesystem::copy_options::overwrite_existing);
  ScriptedService service;
  CausewayProcess causeway(listener_config(listener_tls(), service));
  const auto address = causeway.listener();
  const std::string ca = pki.path("ca.pem");
  EXPECT_PRED2(contains, served_subject(address, ca), "CN = first");

  // Replaced in place, as cert-manager or certbot do; the config file is unchanged.
  std::filesystem::copy_file(pki.path("second.pem"), pki.path("server.pem"), std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki.path("second.key"), pki.path("server.key"), std::filesystem::copy_options::overwrite_existing);
  auto reloaded = http(causeway.admin(), "POST", "/reload", {{"Host", causeway.admin().text()}}, {}, 30s);
  EXPECT_EQ(reloaded.status, 200) << reloaded.body;
  EXPECT_PRED2(contains, reloaded.body, "listener 'public' kept");
  EXPECT_EQ(causeway.listener().port, address.port);
  EXPECT_PRED2(contains, served_subject(address, ca), "CN = second");
  EXPECT_EQ(curl({"--cacert", ca, https(address, "/status")}).status, 200);

  // A broken file fails the reload, at its setting; the certificate in use stays.
  pki.write("server.pem", "-----BEGIN CERTIFICATE-----\nbroken\n");
  auto refused = http(causeway.admin(), "POST", "/reload", {{"Host", causeway.admin().text()}}, {}, 30s);
  EXPECT_EQ(refused.status, 400);
  EXPECT_PRED2(contains, refused.body, ":8:13: listeners.public.tls.cert: " + pki.path("server.pem") +
                                      ": not a valid PEM certificate (OpenSSL: ");
  EXPECT_PRED2(contains, served_subject(address, ca), "CN = second");
}

TEST_F(TlsTest, ValidateNamesTheSettingOfAnUnusableFile) {
  ScriptedService service;
  TempDir dir;
  std::string config = listener_config(listener_tls(), service);
  const std::string key_line = "      key: " + pki.path("server.key") + "\n";
  config.replace(config.find(key_line), key_line.size(), "      key: " + pki.path("client.key") + "\n");
  const auto file = dir.write("mismatch.yaml", config).string();

  auto result = run_command({CAUSEWAY_BIN, "validate", file});

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_PRED2(contains, result.output, file + ":9:12: listeners.public.tls.key: " + pki.path("client.key") +
                                       ": does not match the certificate in " + pki.path("server.pem") +
                                       " (OpenSSL: key values mismatch)");
}

TEST(KafkaTlsExample, ValidatesWithThePasswordFromTheEnvironment) {
  const std::string example = std::string(SOURCE_DIR) + "/config/examples/kafka-tls.yaml";
  auto with_password = run_command({"/usr/bin/env", "KAFKA_PASSWORD=s3cret", CAUSEWAY_BIN, "validate", example});
  EXPECT_EQ(with_password.exit_code, 0) << with_password.output;

  auto without = run_command({"/usr/bin/env", "-u", "KAFKA_PASSWORD", CAUSEWAY_BIN, "validate", example});
  EXPECT_EQ(without.exit_code, 1) << without.output;
  EXPECT_PRED2(contains, without.output, "environment variable KAFKA_PASSWORD is not set");
}

}  // namespace
}  // namespace causeway::testing
