// Building TLS contexts from the config's files: what loads, and the exact message of
// each file OpenSSL cannot use, with the setting it belongs to.
#include <gtest/gtest.h>

#include <functional>

#include "http/tls_context.h"
#include "http_tls_test_pki.h"

namespace causeway::http {
namespace {

using test_pki::Authority;
using test_pki::Issued;
using test_pki::PemDir;

// The setting, line and message of the TlsFileError `build` throws.
std::string failure_of(const std::function<void()>& build) {
  try {
    build();
  } catch (const TlsFileError& error) {
    return error.setting() + "@" + std::to_string(error.mark().line) + ": " + error.what();
  }
  return "(no error)";
}

class TlsContextTest : public ::testing::Test {
 protected:
  config::ListenerTls listener() const {
    config::ListenerTls tls;
    tls.cert = dir.write("server.pem", server.certificate, 3);
    tls.key = dir.write("server.key", server.key, 4);
    return tls;
  }

  config::UpstreamTls upstream() const {
    config::UpstreamTls tls;
    tls.ca = dir.write("ca.pem", ca.certificate(), 7);
    tls.server_name = "localhost";
    return tls;
  }

  PemDir dir;
  Authority ca{"Test CA"};
  Issued server = ca.issue("localhost", {"localhost", "127.0.0.1"});
};

TEST_F(TlsContextTest, ServerContextLoadsCertificateKeyAndClientCas) {
  auto tls = listener();
  tls.client_ca = dir.write("clients.pem", ca.certificate(), 5);
  const LoadedTls loaded = server_tls(tls);
  EXPECT_NE(loaded.context, nullptr);
  EXPECT_NE(loaded.contents.find(server.certificate), std::string::npos);
  EXPECT_NE(loaded.contents.find(ca.certificate()), std::string::npos);
}

TEST_F(TlsContextTest, ServerCertificateMayCarryItsChainAndKeyInOneFile) {
  auto tls = listener();
  tls.cert = dir.write("bundle.pem", server.key + server.certificate + ca.certificate(), 3);
  tls.key = tls.cert;
  EXPECT_NO_THROW(server_tls(tls));
}

TEST_F(TlsContextTest, ClientContextLoadsWithAndWithoutItsOwnCertificate) {
  auto tls = upstream();
  EXPECT_NO_THROW(client_tls(tls));
  const Issued client = ca.issue("causeway", {});
  tls.cert = dir.write("client.pem", client.certificate, 9);
  tls.key = dir.write("client.key", client.key, 10);
  EXPECT_NO_THROW(client_tls(tls));
  config::UpstreamTls system_store;
  system_store.server_name = "example.com";
  const LoadedTls loaded = client_tls(system_store);
  EXPECT_NE(loaded.context, nullptr);
  EXPECT_EQ(loaded.contents, "");  // nothing read: the system's store is OpenSSL's to find
}

TEST_F(TlsContextTest, ContentsTellWhetherAFileChanged) {
  const auto tls = listener();
  const std::string first = server_tls(tls).contents;
  EXPECT_EQ(server_tls(tls).contents, first);
  const Issued renewed = ca.issue("localhost", {"localhost"});
  dir.write("server.pem", renewed.certificate);
  dir.write("server.key", renewed.key);
  EXPECT_NE(server_tls(tls).contents, first);
}

TEST_F(TlsContextTest, MissingCertificate) {
  auto tls = listener();
  tls.cert = dir.missing("nope.pem", 3);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "cert@3: cannot read " + dir.path().string() + "/nope.pem: No such file or directory");
}

TEST_F(TlsContextTest, MissingKey) {
  auto tls = listener();
  tls.key = dir.missing("nope.key", 4);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "key@4: cannot read " + dir.path().string() + "/nope.key: No such file or directory");
}

TEST_F(TlsContextTest, DirectoryInsteadOfAFile) {
  auto tls = listener();
  tls.cert = config::FileSetting{dir.path().string(), config::Mark{3, 11}};
  EXPECT_EQ(failure_of([&] { server_tls(tls); }), "cert@3: cannot read " + dir.path().string() + ": Is a directory");
}

TEST_F(TlsContextTest, CertificateThatIsNotPem) {
  auto tls = listener();
  tls.cert = dir.write("garbage.pem", "not a certificate\n", 3);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "cert@3: " + dir.path().string() + "/garbage.pem: no PEM certificate in the file");
}

TEST_F(TlsContextTest, CertificateWithABrokenBody) {
  auto tls = listener();
  std::string broken = server.certificate;
  broken.replace(broken.find('\n') + 10, 20, "!!!!!!!!!!!!!!!!!!!!");
  tls.cert = dir.write("broken.pem", broken, 3);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "cert@3: " + dir.path().string() + "/broken.pem: not a valid PEM certificate (OpenSSL: bad base64 decode)");
}

TEST_F(TlsContextTest, KeyFileWithoutAKey) {
  auto tls = listener();
  tls.key = dir.write("cert-again.key", server.certificate, 4);  // the certificate where the key should be
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "key@4: " + dir.path().string() + "/cert-again.key: no PEM private key in the file");
}

TEST_F(TlsContextTest, KeyWithABrokenBody) {
  auto tls = listener();
  tls.key = dir.write("broken.key", "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n", 4);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "key@4: " + dir.path().string() + "/broken.key: not a valid PEM private key (OpenSSL: unsupported)");
}

TEST_F(TlsContextTest, EncryptedKey) {
  auto tls = listener();
  tls.key = dir.write("locked.key", test_pki::encrypted_key(server.key), 4);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "key@4: " + dir.path().string() +
                "/locked.key: the private key is encrypted; Causeway reads unencrypted keys only");
}

TEST_F(TlsContextTest, KeyOfAnotherCertificate) {
  auto tls = listener();
  const Issued other = ca.issue("other", {"other"});
  tls.key = dir.write("other.key", other.key, 4);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "key@4: " + dir.path().string() + "/other.key: does not match the certificate in " + dir.path().string() +
                "/server.pem (OpenSSL: key values mismatch)");
}

TEST_F(TlsContextTest, ClientCaThatIsNotPem) {
  auto tls = listener();
  tls.client_ca = dir.write("clients.pem", "", 5);
  EXPECT_EQ(failure_of([&] { server_tls(tls); }),
            "client_ca@5: " + dir.path().string() + "/clients.pem: no PEM certificate in the file");
}

TEST_F(TlsContextTest, UpstreamCaMissing) {
  auto tls = upstream();
  tls.ca = dir.missing("nope-ca.pem", 7);
  EXPECT_EQ(failure_of([&] { client_tls(tls); }),
            "ca@7: cannot read " + dir.path().string() + "/nope-ca.pem: No such file or directory");
}

TEST_F(TlsContextTest, UpstreamClientKeyMismatch) {
  auto tls = upstream();
  tls.cert = dir.write("client.pem", ca.issue("a", {}).certificate, 9);
  tls.key = dir.write("client.key", ca.issue("b", {}).key, 10);
  EXPECT_EQ(failure_of([&] { client_tls(tls); }),
            "key@10: " + dir.path().string() + "/client.key: does not match the certificate in " + dir.path().string() +
                "/client.pem (OpenSSL: key values mismatch)");
}

}  // namespace
}  // namespace causeway::http
