#pragma once
// The TLS socket of an amqps:// connection: CA (or the system's trust store), client
// certificate, and the peer's certificate checked against server_name by OpenSSL (which,
// unlike rabbitmq-c's own check, also matches IP addresses).

#include <amqp.h>

#include <string>

#include "config/config.h"

namespace causeway::rabbitmq {

// A socket set up on `state`, not yet open; nullptr with `why` when a file is unusable.
amqp_socket_t* tls_socket(amqp_connection_state_t state, const config::UpstreamTls& tls, std::string& why);

}  // namespace causeway::rabbitmq
