#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace causeway::http {

namespace ssl = boost::asio::ssl;

namespace {

struct FreeBio {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct FreeX509 {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Certificate = std::unique_ptr<X509, FreeX509>;

// The first entry of OpenSSL's error queue is the cause; later ones say where it
// surfaced. The queue is emptied, so that it cannot leak into the next message.
std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    if (!reason.empty()) continue;
    const char* text = ERR_reason_error_string(code);
    reason = text ? text : "error " + std::to_string(code);
  }
  return reason.empty() ? "no reason given" : reason;
}

// Reads a file named by a setting; what it held becomes part of `contents`.
class SettingFiles {
 public:
  explicit SettingFiles(std::string& contents) : contents_(contents) {}

  std::string read(const std::string& setting, const config::FileSetting& file) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.path.c_str(), "rb"), &std::fclose);
    if (!stream) fail(setting, file, "cannot read " + file.path + ": " + std::strerror(errno));
    std::string text;
    char buffer[1 << 14];
    while (const std::size_t count = std::fread(buffer, 1, sizeof buffer, stream.get())) text.append(buffer, count);
    if (std::ferror(stream.get())) fail(setting, file, "cannot read " + file.path + ": " + std::strerror(errno));
    contents_ += file.path + '\0' + text + '\0';
    return text;
  }

  // Every PEM certificate in the file, in order; at least one.
  std::vector<Certificate> certificates(const std::string& setting, const config::FileSetting& file) {
    const std::string text = read(setting, file);
    const std::unique_ptr<BIO, FreeBio> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    std::vector<Certificate> found;
    ERR_clear_error();
    while (Certificate certificate{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
      found.push_back(std::move(certificate));
    }
    // No further start line is the normal end of the file, once a certificate was read.
    const unsigned long last = ERR_peek_last_error();
    const bool ended = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
    if (found.empty() && ended) fail(setting, file, file.path + ": no PEM certificate in the file");
    if (!ended) fail(setting, file, file.path + ": not a valid PEM certificate (OpenSSL: " + openssl_reason() + ")");
    ERR_clear_error();
    return found;
  }

  std::unique_ptr<EVP_PKEY, FreeKey> private_key(const std::string& setting, const config::FileSetting& file) {
    const std::string text = read(setting, file);
    const std::unique_ptr<BIO, FreeBio> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    // No password callback would have OpenSSL prompt on the terminal for an encrypted key.
    auto no_password = [](char*, int, int, void*) { return -1; };
    ERR_clear_error();
    std::unique_ptr<EVP_PKEY, FreeKey> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
    if (key) return key;
    const std::string reason = openssl_reason();
    // OpenSSL 3 says "unsupported" for a file without any key: the text tells better.
    if (text.find("PRIVATE KEY-----") == std::string::npos) fail(setting, file, file.path + ": no PEM private key in the file");
    if (text.find("ENCRYPTED") != std::string::npos) {
      fail(setting, file, file.path + ": the private key is encrypted; Causeway reads unencrypted keys only");
    }
    fail(setting, file, file.path + ": not a valid PEM private key (OpenSSL: " + reason + ")");
  }

  [[noreturn]] static void fail(const std::string& setting, const config::FileSetting& file, const std::string& message) {
    throw TlsFileError(setting, file.mark, message);
  }

 private:
  std::string& contents_;
};

// Our own certificate chain and its key, the leaf first.
void use_identity(SSL_CTX* context, SettingFiles& files, const config::FileSetting& cert,
                  const config::FileSetting& key) {
  auto chain = files.certificates("cert", cert);
  ERR_clear_error();
  if (SSL_CTX_use_certificate(context, chain.front().get()) != 1) {
    SettingFiles::fail("cert", cert, cert.path + ": certificate refused (OpenSSL: " + openssl_reason() + ")");
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(context, chain[i].get()) != 1) {
      SettingFiles::fail("cert", cert, cert.path + ": chain certificate refused (OpenSSL: " + openssl_reason() + ")");
    }
  }
  auto private_key = files.private_key("key", key);
  if (SSL_CTX_use_PrivateKey(context, private_key.get()) != 1 || SSL_CTX_check_private_key(context) != 1) {
    SettingFiles::fail("key", key,
                       key.path + ": does not match the certificate in " + cert.path + " (OpenSSL: " + openssl_reason() + ")");
  }
}

void trust(SSL_CTX* context, SettingFiles& files, const std::string& setting, const config::FileSetting& file,
           bool name_to_clients) {
  X509_STORE* store = SSL_CTX_get_cert_store(context);
  for (const auto& certificate : files.certificates(setting, file)) {
    if (X509_STORE_add_cert(store, certificate.get()) != 1) {
      SettingFiles::fail(setting, file, file.path + ": CA certificate refused (OpenSSL: " + openssl_reason() + ")");
    }
    // Clients choose which certificate to present by the CA names the server lists.
    if (name_to_clients && SSL_CTX_add_client_CA(context, certificate.get()) != 1) {
      SettingFiles::fail(setting, file, file.path + ": CA certificate refused (OpenSSL: " + openssl_reason() + ")");
    }
  }
}

// TLS 1.2 and later; no compression (CRIME), no renegotiation (a client could make the
// server redo handshakes at will).
void restrict_protocol(SSL_CTX* context) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

// The listener speaks HTTP/1.1 only: a client that offers ALPN hears so, one that
// offers only other protocols proceeds without ALPN.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                  unsigned int offered_length, void*) {
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11 - 1, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

LoadedTls server_tls(const config::ListenerTls& settings) {
  LoadedTls loaded;
  loaded.context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* context = loaded.context->native_handle();
  restrict_protocol(context);
  SettingFiles files(loaded.contents);
  use_identity(context, files, settings.cert, settings.key);
  if (settings.client_ca) {
    trust(context, files, "client_ca", *settings.client_ca, true);
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | (settings.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       nullptr);
  }
  // Resumed sessions (OpenSSL caches them by default) must carry an id context once
  // client certificates are verified, or resumption fails the handshake.
  static const unsigned char kSessionContext[] = "causeway";
  SSL_CTX_set_session_id_context(context, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_alpn_select_cb(context, select_http11, nullptr);
  return loaded;
}

LoadedTls client_tls(const config::UpstreamTls& settings) {
  LoadedTls loaded;
  loaded.context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* context = loaded.context->native_handle();
  restrict_protocol(context);
  SettingFiles files(loaded.contents);
  if (settings.ca) {
    trust(context, files, "ca", *settings.ca, false);
  } else {
    SSL_CTX_set_default_verify_paths(context);
  }
  if (settings.cert && settings.key) use_identity(context, files, *settings.cert, *settings.key);
  SSL_CTX_set_verify(context, settings.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  static const unsigned char kHttp11[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(context, kHttp11, sizeof kHttp11 - 1);
  ERR_clear_error();
  return loaded;
}

}  // namespace causeway::http
