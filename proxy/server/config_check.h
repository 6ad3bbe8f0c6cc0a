#pragma once
// What `causeway validate` and startup check beyond the YAML itself: that librdkafka
// accepts every broker option, and that the TLS files of listeners and upstreams hold
// certificates and keys OpenSSL takes. Nothing is started or connected.

#include <string>

#include "config/config.h"
#include "http/tls_context.h"

namespace causeway::server {

// Throws config::ConfigError pointing at the refused option or file.
config::Config load_checked_config(const std::string& file);

// The TLS context of an HTTPS listener or an https upstream, from its files as they
// are now; throws config::ConfigError at the setting naming the file at fault.
http::LoadedTls listener_tls(const config::Config& config, const config::Listener& listener);
http::LoadedTls upstream_tls(const config::Config& config, const config::Upstream& upstream);

}  // namespace causeway::server
