#include "admin/local_caller.h"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>

namespace causeway::admin {

namespace {

struct Authority {
  std::string_view host;  // IPv6 without its brackets
  std::optional<std::uint16_t> port;
};

bool equals_lower(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() && std::equal(text.begin(), text.end(), lower.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

std::optional<std::uint16_t> parse_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "host", "host:port", "[v6]", "[v6]:port"; nullopt for anything else.
std::optional<Authority> split_authority(std::string_view text) {
  Authority out;
  std::string_view rest;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
  } else {
    const auto colon = text.find(':');
    out.host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (out.host.empty()) return std::nullopt;
  if (!rest.empty()) {
    if (!rest.starts_with(':') || !(out.port = parse_port(rest.substr(1)))) return std::nullopt;
  }
  return out;
}

// localhost, 127.0.0.0/8 or ::1, written as an address (inet_pton: no "127.1" shorthand).
bool loopback(std::string_view host) {
  if (equals_lower(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace

std::optional<std::uint16_t> port_of(std::string_view address) {
  const auto authority = split_authority(address);
  return authority ? authority->port : std::nullopt;
}

std::optional<std::string> why_not_local(const bridge::Request& request, std::uint16_t admin_port) {
  const std::string* host = bridge::find_header(request.headers, "host");
  const auto host_authority = host ? split_authority(*host) : std::nullopt;
  if (!host_authority || !loopback(host_authority->host)) {
    return "state changes need a loopback Host (localhost, 127.0.0.0/8, [::1]), got '" + (host ? *host : "") + "'";
  }
  const std::string* origin = bridge::find_header(request.headers, "origin");
  if (!origin) return std::nullopt;
  const std::string own = "http://127.0.0.1:" + std::to_string(admin_port);
  constexpr std::string_view kScheme = "http://";
  const std::string_view text(*origin);
  const bool http = text.size() > kScheme.size() && equals_lower(text.substr(0, kScheme.size()), kScheme);
  const auto authority = http ? split_authority(text.substr(kScheme.size())) : std::nullopt;
  if (!authority || !loopback(authority->host) || authority->port.value_or(80) != admin_port) {
    return "state changes are refused from another origin: '" + *origin + "' is not the admin listener's own (" + own +
           ")";
  }
  return std::nullopt;
}

}  // namespace causeway::admin
