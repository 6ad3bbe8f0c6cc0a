#pragma once
// What `causeway validate` and startup check beyond the YAML itself: that librdkafka
// accepts every broker option, and that the TLS files of listeners and upstreams hold
// certificates and keys OpenSSL takes. Nothing is started or connected.

#include <memory>
#include <string>

#include "config/config.h"
#include "http/tls_context.h"

namespace causeway::grpc {
class ProtoCatalog;
}

namespace causeway::server {

// Throws config::ConfigError pointing at the refused option or file, or at an rpc the
// protos lack.
config::Config load_checked_config(const std::string& file);

// The TLS context of an HTTPS listener or an https upstream, from its files as they
// are now; throws config::ConfigError at the setting naming the file at fault.
http::LoadedTls listener_tls(const config::Config& config, const config::Listener& listener);
http::LoadedTls upstream_tls(const config::Config& config, const config::Upstream& upstream);

// The message types of `protos:`, null when there are none; every rpc a route names is
// checked against them. Throws config::ConfigError at `protos` when the files do not
// load (the message names the .proto file, line and column) and at a route's rpc
// naming a method they lack or a streaming one.
std::shared_ptr<const grpc::ProtoCatalog> load_catalog(const config::Config& config);

}  // namespace causeway::server
