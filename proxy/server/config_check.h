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

namespace causeway::soap {
class WsdlCatalog;
}

namespace causeway::server {

// A config that passed every check, with the message types its gRPC routes use, loaded
// once for the check and the runtime alike.
struct CheckedConfig {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const grpc::ProtoCatalog> catalog;  // null without `protos:`
  std::shared_ptr<const soap::WsdlCatalog> wsdl;      // null without `soap:`
};

// Throws config::ConfigError pointing at the refused option or file, or at the protos
// (the message names the .proto file, line and column) or an rpc they lack.
CheckedConfig load_checked_config(const std::string& file);

// The TLS context of an HTTPS listener or an https upstream, from its files as they
// are now; throws config::ConfigError at the setting naming the file at fault.
http::LoadedTls listener_tls(const config::Config& config, const config::Listener& listener);
http::LoadedTls upstream_tls(const config::Config& config, const config::Upstream& upstream);

}  // namespace causeway::server
