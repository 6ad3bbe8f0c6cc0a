// The upstream client over TLS against a TLS server in the test: verification against
// a CA, the name checked and sent as SNI, client certificates, reuse, and the exact
// detail of each way a handshake fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "http/io_threads.h"
#include "http/tls_context.h"
#include "http/upstream_client.h"
#include "http_tls_test_pki.h"
#include "metrics/registry.h"

namespace causeway::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using test_pki::Authority;
using test_pki::Issued;
using test_pki::PemDir;
using Error = UpstreamResult::Error;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Answers every request 200 "tls" over TLS with keep-alive, and remembers the SNI and
// client certificate subject of each handshake. With `stall`, it never handshakes.
class TlsTestServer {
 public:
  TlsTestServer(std::shared_ptr<asio::ssl::context> context, bool stall = false)
      : context_(std::move(context)), stall_(stall), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsTestServer() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted() const { return accepted_.load(); }
  std::vector<std::string> server_names() const {
    std::lock_guard lock(mutex_);
    return server_names_;
  }
  std::vector<std::string> client_subjects() const {
    std::lock_guard lock(mutex_);
    return client_subjects_;
  }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      ++accepted_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    asio::ssl::stream<tcp::socket> stream(std::move(socket), *context_);
    if (stall_) {
      char bytes[4096];
      for (;;) {  // takes the ClientHello and never answers, until the client gives up
        auto [ec, n] = co_await stream.next_layer().async_read_some(asio::buffer(bytes), use_tuple);
        if (ec) co_return;
      }
    }
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec) co_return;
    {
      std::lock_guard lock(mutex_);
      const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
      server_names_.push_back(name ? name : "(none)");
      X509* peer = SSL_get0_peer_certificate(stream.native_handle());
      char subject[256] = "(none)";
      if (peer) X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof subject);
      client_subjects_.push_back(subject);
    }
    boost::beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> request;
      auto [read_ec, n] = co_await bhttp::async_read(stream, buffer, request, use_tuple);
      if (read_ec) co_return;
      bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
      response.body() = "tls";
      response.prepare_payload();
      auto [write_ec, m] = co_await bhttp::async_write(stream, response, use_tuple);
      if (write_ec) co_return;
    }
  }

  std::shared_ptr<asio::ssl::context> context_;
  bool stall_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> server_names_;
  std::vector<std::string> client_subjects_;
};

class TlsUpstreamTest : public ::testing::Test {
 protected:
  TlsUpstreamTest() { threads.start(); }

  std::shared_ptr<asio::ssl::context> server_context(const Issued& identity, bool client_certificates = false) {
    config::ListenerTls tls;
    tls.cert = dir.write("server.pem", identity.certificate);
    tls.key = dir.write("server.key", identity.key);
    if (client_certificates) tls.client_ca = dir.write("clients.pem", ca.certificate());
    return server_tls(tls).context;
  }

  config::Upstream upstream_at(std::uint16_t port) const {
    config::Upstream upstream;
    upstream.name = "secure";
    upstream.scheme = "https";
    upstream.host = "127.0.0.1";
    upstream.port = port;
    upstream.timeout = 2s;
    upstream.connect_timeout = 300ms;
    upstream.tls.emplace();
    upstream.tls->ca = dir.write("ca.pem", ca.certificate());
    upstream.tls->server_name = "orders.internal";
    return upstream;
  }

  UpstreamResult get(const config::Upstream& upstream) {
    if (!client) client = std::make_unique<UpstreamClient>(upstream, threads, registry, client_tls(*upstream.tls).context);
    std::promise<UpstreamResult> promise;
    client->send(UpstreamRequest{"GET", "/", {}, "", std::nullopt}, [&](UpstreamResult result) { promise.set_value(std::move(result)); });
    auto future = promise.get_future();
    if (future.wait_for(5s) != std::future_status::ready) throw std::runtime_error("no result");
    return future.get();
  }

  PemDir dir;
  Authority ca{"Test CA"};
  Issued orders = ca.issue("orders.internal", {"orders.internal"});
  metrics::Registry registry;
  IoThreads threads{2, "tls-test"};
  std::unique_ptr<UpstreamClient> client;
};

TEST_F(TlsUpstreamTest, VerifiedExchangeSendsTheNameAndReusesTheConnection) {
  TlsTestServer server(server_context(orders));
  const auto upstream = upstream_at(server.port());

  for (int i = 0; i < 3; ++i) {
    const auto result = get(upstream);
    ASSERT_EQ(result.error, Error::none) << result.detail;
    EXPECT_EQ(result.response->status, 200);
    EXPECT_EQ(result.response->body, "tls");
  }
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_THAT(server.server_names(), ::testing::ElementsAre("orders.internal"));
}

TEST_F(TlsUpstreamTest, CertificateFromAnotherCaFailsToConnect) {
  Authority stranger("Stranger CA");
  TlsTestServer server(server_context(stranger.issue("orders.internal", {"orders.internal"})));

  const auto result = get(upstream_at(server.port()));

  EXPECT_EQ(result.error, Error::connect_failed);
  EXPECT_EQ(result.detail, "TLS handshake with 127.0.0.1:" + std::to_string(server.port()) +
                               " failed: certificate verify failed (unable to get local issuer certificate)");
}

TEST_F(TlsUpstreamTest, CertificateForAnotherNameFailsToConnect) {
  TlsTestServer server(server_context(ca.issue("billing.internal", {"billing.internal"})));

  const auto result = get(upstream_at(server.port()));

  EXPECT_EQ(result.error, Error::connect_failed);
  EXPECT_EQ(result.detail, "TLS handshake with 127.0.0.1:" + std::to_string(server.port()) +
                               " failed: certificate verify failed (hostname mismatch)");
}

TEST_F(TlsUpstreamTest, IpAddressIsVerifiedAgainstIpSansAndNotSentAsSni) {
  TlsTestServer server(server_context(ca.issue("local", {"127.0.0.1"})));
  auto upstream = upstream_at(server.port());
  upstream.tls->server_name = "127.0.0.1";

  const auto result = get(upstream);

  ASSERT_EQ(result.error, Error::none) << result.detail;
  EXPECT_THAT(server.server_names(), ::testing::ElementsAre("(none)"));
}

TEST_F(TlsUpstreamTest, VerifyFalseAcceptsAnyCertificate) {
  Authority stranger("Stranger CA");
  TlsTestServer server(server_context(stranger.issue("elsewhere", {"elsewhere"})));
  auto upstream = upstream_at(server.port());
  upstream.tls->verify = false;

  const auto result = get(upstream);

  ASSERT_EQ(result.error, Error::none) << result.detail;
  EXPECT_EQ(result.response->status, 200);
}

TEST_F(TlsUpstreamTest, ClientCertificateIsPresented) {
  TlsTestServer server(server_context(orders, true));
  auto upstream = upstream_at(server.port());
  const Issued causeway = ca.issue("causeway-client", {});
  upstream.tls->cert = dir.write("client.pem", causeway.certificate);
  upstream.tls->key = dir.write("client.key", causeway.key);

  const auto result = get(upstream);

  ASSERT_EQ(result.error, Error::none) << result.detail;
  EXPECT_THAT(server.client_subjects(), ::testing::ElementsAre("/O=Causeway Tests/CN=causeway-client"));
}

TEST_F(TlsUpstreamTest, ServerThatRequiresAClientCertificateRefusesOneWithout) {
  TlsTestServer server(server_context(orders, true));

  const auto result = get(upstream_at(server.port()));

  // TLS 1.3 finishes the client's handshake before the server looks at its certificate:
  // the refusal arrives as an alert in place of the response.
  EXPECT_NE(result.error, Error::none);
  EXPECT_THAT(result.detail, ::testing::HasSubstr("certificate required"));
}

TEST_F(TlsUpstreamTest, HandshakeThatNeverFinishesIsBoundByTheConnectTimeout) {
  TlsTestServer server(server_context(orders), true);
  const auto begin = std::chrono::steady_clock::now();

  const auto result = get(upstream_at(server.port()));

  EXPECT_EQ(result.error, Error::connect_failed);
  EXPECT_EQ(result.detail, "TLS handshake with 127.0.0.1:" + std::to_string(server.port()) + " did not finish within 300ms");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
}

}  // namespace
}  // namespace causeway::http
