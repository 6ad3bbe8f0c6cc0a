#include "rabbitmq/amqp_tls.h"

#include <amqp_ssl_socket.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

namespace causeway::rabbitmq {
namespace {

bool is_ip_address(const std::string& name) {
  unsigned char address[16];
  return inet_pton(AF_INET, name.c_str(), address) == 1 || inet_pton(AF_INET6, name.c_str(), address) == 1;
}

}  // namespace

amqp_socket_t* tls_socket(amqp_connection_state_t state, const config::UpstreamTls& tls, std::string& why) {
  amqp_socket_t* socket = amqp_ssl_socket_new(state);
  if (!socket) {
    why = "cannot create a TLS socket";
    return nullptr;
  }
  auto* context = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket));
  if (tls.ca) {
    if (amqp_ssl_socket_set_cacert(socket, tls.ca->path.c_str()) != AMQP_STATUS_OK) {
      why = "cannot read the CA file " + tls.ca->path;
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(context) != 1) {
    why = "cannot load the system's trust store";
    return nullptr;
  }
  if (tls.cert && tls.key &&
      amqp_ssl_socket_set_key(socket, tls.cert->path.c_str(), tls.key->path.c_str()) != AMQP_STATUS_OK) {
    why = "cannot use the client certificate " + tls.cert->path + " with its key " + tls.key->path;
    return nullptr;
  }
  amqp_ssl_socket_set_verify_peer(socket, tls.verify);
  amqp_ssl_socket_set_verify_hostname(socket, 0);  // OpenSSL checks the name, below
  if (!tls.verify) {
    spdlog::warn("amqps: tls.verify is off: any certificate is accepted");
    return socket;
  }
  X509_VERIFY_PARAM* params = SSL_CTX_get0_param(context);
  const bool named = is_ip_address(tls.server_name)
                         ? X509_VERIFY_PARAM_set1_ip_asc(params, tls.server_name.c_str()) == 1
                         : X509_VERIFY_PARAM_set1_host(params, tls.server_name.c_str(), 0) == 1;
  if (!named) {
    why = "cannot verify the server name " + tls.server_name;
    return nullptr;
  }
  return socket;
}

}  // namespace causeway::rabbitmq
