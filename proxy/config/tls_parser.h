#pragma once
// The tls: mappings of listeners and upstreams. Only their shape is checked here;
// whether the files hold usable certificates and keys is checked where OpenSSL is
// (http/tls_context.h), by `causeway validate` and at every (re)load.

#include "config/config.h"
#include "config/config_node.h"

namespace causeway::config {

ListenerTls parse_listener_tls(const ConfigNode& node);

// `host` is the url's, the name verified unless server_name says otherwise.
UpstreamTls parse_upstream_tls(const ConfigNode& node, const std::string& host);

}  // namespace causeway::config
