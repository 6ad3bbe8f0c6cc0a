#pragma once
// TLS contexts built from the config: an HTTPS listener's (its certificate, and the CAs
// client certificates are checked against) and an upstream client's (the CAs, an
// optional client certificate). Files are read and checked here, so a bad one fails
// `causeway validate` and a reload with OpenSSL's reason, not a first handshake.

#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.h"

namespace boost::asio::ssl {
class context;
}

namespace causeway::http {

using TlsContext = boost::asio::ssl::context;

// A setting whose file could not be used: "cert", "key", "client_ca" or "ca", where it
// was written, and why (the path and, when OpenSSL refused it, OpenSSL's reason).
class TlsFileError : public std::runtime_error {
 public:
  TlsFileError(std::string setting, config::Mark mark, const std::string& message)
      : std::runtime_error(message), setting_(std::move(setting)), mark_(mark) {}
  const std::string& setting() const { return setting_; }
  config::Mark mark() const { return mark_; }

 private:
  std::string setting_;
  config::Mark mark_;
};

struct LoadedTls {
  std::shared_ptr<TlsContext> context;
  // Every file's bytes as they were read: two loads with equal contents built the same context.
  std::string contents;
};

// Both throw TlsFileError.
LoadedTls server_tls(const config::ListenerTls& settings);
LoadedTls client_tls(const config::UpstreamTls& settings);

}  // namespace causeway::http
