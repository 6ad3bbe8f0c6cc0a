#include "config/tls_parser.h"

#include <algorithm>
#include <cctype>

namespace causeway::config {
namespace {

FileSetting parse_file(const ConfigNode& node) {
  FileSetting file{node.string(), node.mark()};
  if (file.path.empty()) node.fail("expected a file path");
  return file;
}

// A DNS name or an IP address, as SNI and certificate checks take it.
std::string parse_server_name(const ConfigNode& node) {
  std::string name = node.string();
  const bool plausible = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_';
  });
  if (!plausible) node.fail("expected a host name");
  return name;
}

}  // namespace

ListenerTls parse_listener_tls(const ConfigNode& node) {
  const Mapping map(node, {"cert", "key", "client_ca", "require_client_cert"});
  ListenerTls tls;
  tls.cert = parse_file(map.required("cert"));
  tls.key = parse_file(map.required("key"));
  if (auto ca = map.optional("client_ca")) tls.client_ca = parse_file(*ca);
  if (auto required = map.optional("require_client_cert")) {
    tls.require_client_cert = required->boolean();
    if (!tls.client_ca) {
      map.fail_at_key("require_client_cert", "needs client_ca, the CAs that client certificates are verified against");
    }
  }
  return tls;
}

UpstreamTls parse_upstream_tls(const ConfigNode& node, const std::string& host) {
  const Mapping map(node, {"ca", "verify", "server_name", "cert", "key"});
  UpstreamTls tls;
  tls.server_name = host;
  if (auto ca = map.optional("ca")) tls.ca = parse_file(*ca);
  if (auto verify = map.optional("verify")) tls.verify = verify->boolean();
  if (auto name = map.optional("server_name")) tls.server_name = parse_server_name(*name);
  if (auto cert = map.optional("cert")) tls.cert = parse_file(*cert);
  if (auto key = map.optional("key")) tls.key = parse_file(*key);
  if (tls.cert && !tls.key) map.fail_at_key("cert", "a client certificate needs its key as well");
  if (tls.key && !tls.cert) map.fail_at_key("key", "a private key needs its cert as well");
  return tls;
}

}  // namespace causeway::config
