#include "rabbitmq/amqp_url.h"

#include <cctype>
#include <charconv>

#include "routing/path.h"

namespace causeway::rabbitmq {
namespace {

// Unreserved characters stay, the rest is escaped in lower-case hex as RabbitMQ writes
// it: the vhost "/" is "%2f".
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string host_text(const AmqpUrl& url) {
  const std::string host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  return host + ":" + std::to_string(url.port);
}

bool parse_host_port(std::string_view authority, AmqpUrl& url, std::string& why) {
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "an IPv6 host needs its closing ']'";
      return false;
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      why = "expected ':port' after the IPv6 host";
      return false;
    }
    has_port = !rest.empty();
    if (has_port) port_text = rest.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    why = "expected a host";
    return false;
  }
  for (unsigned char c : url.host) {
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':')) {
      why = "expected a host name or an IP address";
      return false;
    }
  }
  if (!has_port) return true;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
    why = "expected a port from 1 to 65535";
    return false;
  }
  url.port = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_user_info(std::string_view info, AmqpUrl& url, std::string& why) {
  const std::size_t colon = info.find(':');
  const std::optional<std::string> user = routing::percent_decode(info.substr(0, colon));
  const std::optional<std::string> password = colon == std::string_view::npos
                                                  ? std::optional<std::string>(url.password)
                                                  : routing::percent_decode(info.substr(colon + 1));
  if (!user || !password) {
    why = "a bad %-escape in the user or password";
    return false;
  }
  url.user = *user;
  url.password = *password;
  return true;
}

}  // namespace

std::string AmqpUrl::address() const {
  return std::string(tls ? "amqps://" : "amqp://") + host_text(*this) + "/" + percent_encode(vhost);
}

std::string AmqpUrl::redacted() const {
  return std::string(tls ? "amqps://" : "amqp://") + percent_encode(user) + ":<redacted>@" + host_text(*this) + "/" +
         percent_encode(vhost);
}

std::optional<AmqpUrl> parse_amqp_url(std::string_view text, std::string& why) {
  AmqpUrl url;
  if (text.starts_with("amqps://")) {
    url.tls = true;
    url.port = 5671;
    text.remove_prefix(8);
  } else if (text.starts_with("amqp://")) {
    text.remove_prefix(7);
  } else {
    why = "expected a URL like amqp://guest:guest@127.0.0.1:5672/%2f (amqps:// for TLS)";
    return std::nullopt;
  }
  if (text.find_first_of("?#") != std::string_view::npos) {
    why = "query parameters are not read: connection settings go under options";
    return std::nullopt;
  }
  const std::size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view{} : text.substr(slash + 1);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (!parse_user_info(authority.substr(0, at), url, why)) return std::nullopt;
    authority.remove_prefix(at + 1);
  }
  if (!parse_host_port(authority, url, why)) return std::nullopt;
  if (path.find('/') != std::string_view::npos) {
    why = "a vhost with '/' in it is written %2f";
    return std::nullopt;
  }
  const std::optional<std::string> vhost = routing::percent_decode(path);
  if (!vhost) {
    why = "a bad %-escape in the vhost";
    return std::nullopt;
  }
  if (!vhost->empty()) url.vhost = *vhost;
  return url;
}

}  // namespace causeway::rabbitmq
