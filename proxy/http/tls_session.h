#pragma once
// What one TLS connection needs beyond its context: the name a client asks for and
// verifies, words for a failed handshake, and the client certificate a listener verified.

#include <boost/beast/core/error.hpp>
#include <optional>
#include <string>

#include "http/transport.h"

namespace causeway::http {

// Client side, before the handshake: SNI (DNS names only, as RFC 6066 says) and, when
// verifying, the name or IP address the server's certificate must be for. OpenSSL
// checks the name while it verifies the chain, so a mismatch reads "hostname mismatch"
// in the handshake's failure rather than a bare "certificate verify failed".
void expect_server(Transport::TlsStream& stream, const std::string& name, bool verify);

// "certificate verify failed (unable to get local issuer certificate)", "wrong version
// number", "connection closed": why a handshake on this stream failed with `ec`.
std::string handshake_failure(Transport::TlsStream& stream, const boost::beast::error_code& ec);

// The handshake failed because the client spoke plain HTTP to a TLS port.
bool plain_http_sent(const boost::beast::error_code& ec);

// Closing: makes async_shutdown send our close_notify and finish, rather than also wait
// for the peer's, which RFC 8446 6.1 does not require when the connection closes next.
void skip_peer_close_notify(Transport::TlsStream& stream);

// Server side, after the handshake: the verified client certificate as an
// x-forwarded-client-cert value in Envoy's format (Hash=<sha256 hex>;Subject="<RFC 2253>"),
// or nullopt when the client presented none.
std::optional<std::string> forwarded_client_cert(Transport::TlsStream& stream);

}  // namespace causeway::http
