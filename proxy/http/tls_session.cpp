#include "http/tls_session.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <memory>

namespace causeway::http {

namespace asio = boost::asio;

void expect_server(Transport::TlsStream& stream, const std::string& name, bool verify) {
  SSL* ssl = stream.native_handle();
  boost::system::error_code not_an_address;
  asio::ip::make_address(name, not_an_address);
  const bool address = !not_an_address;
  if (!address) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (!verify) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (address) {
    X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  }
}

std::string handshake_failure(Transport::TlsStream& stream, const boost::beast::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset) {
    return "connection closed during the handshake";
  }
  if (ec.category() != asio::error::get_ssl_category()) return ec.message();
  const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
  std::string text = reason ? reason : ec.message();
  const long verified = SSL_get_verify_result(stream.native_handle());
  if (verified != X509_V_OK) text += std::string(" (") + X509_verify_cert_error_string(verified) + ")";
  return text;
}

bool plain_http_sent(const boost::beast::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST;
}

void skip_peer_close_notify(Transport::TlsStream& stream) {
  SSL* ssl = stream.native_handle();
  SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
}

std::optional<std::string> forwarded_client_cert(Transport::TlsStream& stream) {
  SSL* ssl = stream.native_handle();
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (!certificate || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &digest_length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string value = "Hash=";
  for (unsigned int i = 0; i < digest_length; ++i) {
    value += kHex[digest[i] >> 4];
    value += kHex[digest[i] & 0xf];
  }

  const std::unique_ptr<BIO, int (*)(BIO*)> out(BIO_new(BIO_s_mem()), &BIO_free);
  X509_NAME_print_ex(out.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  value += ";Subject=\"";
  for (long i = 0; i < length; ++i) {
    // Envoy's quoting: the value is in double quotes, a quote or backslash escaped.
    if (data[i] == '"' || data[i] == '\\') value += '\\';
    value += data[i];
  }
  value += '"';
  return value;
}

}  // namespace causeway::http
