#include "policy/callback_url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace causeway::policy {
namespace {

constexpr std::size_t kMaxUrlLength = 2048;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool all_of(std::string_view text, int (*test)(int)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](unsigned char c) { return test(c) != 0; });
}

// 0..255 written the one way inet_aton and every other parser agree on.
bool decimal_octet(std::string_view label) {
  if (!all_of(label, isdigit) || label.size() > 3 || (label.size() > 1 && label.front() == '0')) return false;
  int value = 0;
  std::from_chars(label.data(), label.data() + label.size(), value);
  return value <= 255;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// A name or an IPv4 literal into `host`, lower-cased, one trailing dot dropped; or why not.
std::optional<std::string> parse_name(std::string_view text, std::string& host) {
  if (text.empty()) return "the URL has no host";
  if (text.find('%') != std::string_view::npos) return "a percent-encoded host is not accepted";
  host = lower(text);
  if (host.ends_with('.')) host.pop_back();
  if (host.empty() || host.size() > 253) return "the host is not a valid name";
  const auto labels = split(host, '.');
  for (std::string_view label : labels) {
    const bool legal = std::all_of(label.begin(), label.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '-' || c == '_';
    });
    if (label.empty() || label.size() > 63 || !legal) return "the host is not a valid name";
  }
  // A name ending in a number is an address to resolvers (127.1, 0x7f.0.0.1, 2130706433):
  // only the plain dotted quad is taken, so what is checked is what is called.
  const std::string_view last = labels.back();
  const bool numeric = all_of(last, isdigit) || (last.size() > 1 && last.starts_with("0x"));
  if (numeric && !(labels.size() == 4 && std::all_of(labels.begin(), labels.end(), decimal_octet))) {
    return "a numeric host must be a dotted-quad IPv4 address";
  }
  return std::nullopt;
}

// The canonical text of an IPv6 literal into `host` (as inet_ntop writes it), so that
// one address has one spelling; or why not. Zone ids are refused.
std::optional<std::string> parse_ipv6(std::string_view text, std::string& host) {
  if (text.find('%') != std::string_view::npos) return "an IPv6 zone id is not accepted";
  in6_addr address{};
  if (text.size() > 45 || inet_pton(AF_INET6, std::string(text).c_str(), &address) != 1) {
    return "the host is not a valid IPv6 address";
  }
  char canonical[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &address, canonical, sizeof canonical);
  host = canonical;
  return std::nullopt;
}

bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Path and query characters of RFC 3986 (pchar, '/', and '?' in the query).
bool url_char(char c, bool query) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/%";
  return kAllowed.find(c) != std::string_view::npos || (query && c == '?');
}

std::optional<std::string> check_path(std::string_view path, std::string_view query) {
  for (const bool is_query : {false, true}) {
    const std::string_view part = is_query ? query : path;
    for (std::size_t i = 0; i < part.size(); ++i) {
      if (!url_char(part[i], is_query)) return "the URL holds a character that must be percent-encoded";
      if (part[i] != '%') continue;
      if (i + 2 >= part.size() || !hex(part[i + 1]) || !hex(part[i + 2])) return "the URL holds a malformed %-escape";
      // Escapes a server may decode into a separator or a dot segment change which path is called.
      const std::string escape = lower(part.substr(i, 3));
      if (!is_query && (escape == "%2f" || escape == "%5c" || escape == "%2e" || escape == "%00")) {
        return "the path holds an encoded '/', '\\', '.' or NUL";
      }
    }
  }
  for (std::string_view segment : split(path, '/')) {
    if (segment == "." || segment == "..") return "the path holds a '.' or '..' segment";
  }
  return std::nullopt;
}

}  // namespace

std::string CallbackUrl::target() const { return query.empty() ? path : path + "?" + query; }

std::string CallbackUrl::text() const {
  const bool default_port = port == (scheme == "https" ? 443 : 80);
  std::string authority = ipv6 ? "[" + host + "]" : host;
  if (!default_port) authority += ":" + std::to_string(port);
  return scheme + "://" + authority + target();
}

std::variant<CallbackUrl, std::string> parse_callback_url(std::string_view text) {
  if (text.size() > kMaxUrlLength) return std::string("the URL is longer than 2048 characters");
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return std::string("the URL holds a space, a control or a non-ASCII character");
  }
  if (text.find('\\') != std::string_view::npos) return std::string("the URL holds a backslash");
  if (text.find('#') != std::string_view::npos) return std::string("the URL holds a fragment ('#')");
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos) return std::string("expected an absolute http:// or https:// URL");
  CallbackUrl url;
  url.scheme = lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return std::string("the scheme must be http or https");
  std::string_view rest = text.substr(colon + 3);
  const std::size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return std::string("a URL with user info ('@') is not accepted");

  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::string("an IPv6 host lacks its ']'");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return std::string("unexpected text after the IPv6 host");
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    if (auto problem = parse_ipv6(host, url.host)) return *problem;
    url.ipv6 = true;
  } else {
    const std::size_t port_colon = authority.find(':');
    has_port = port_colon != std::string_view::npos;
    if (has_port) {
      host = authority.substr(0, port_colon);
      port = authority.substr(port_colon + 1);
    }
    if (auto problem = parse_name(host, url.host)) return *problem;
  }
  url.port = url.scheme == "https" ? 443 : 80;
  if (has_port) {
    int value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (!all_of(port, isdigit) || port.size() > 5 || error != std::errc{} || end != port.data() + port.size() ||
        value < 1 || value > 65535) {
      return std::string("the port must be a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  const std::size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  if (auto problem = check_path(path, query)) return *problem;
  url.path = path.empty() ? "/" : std::string(path);
  url.query = std::string(query);
  return url;
}

std::variant<AllowRule, std::string> parse_allow_rule(std::string_view text) {
  AllowRule rule;
  rule.text = std::string(text);
  std::string written(text);
  const std::size_t colon = written.find("://");
  if (colon == std::string::npos) return std::string("expected scheme://host[:port][/path], like https://*.example.com/hooks/*");
  if (written.compare(colon + 3, 2, "*.") == 0) {
    rule.any_subdomain = true;
    written.erase(colon + 3, 2);
  }
  const std::size_t path_start = written.find('/', colon + 3);
  rule.any_path = path_start == std::string::npos;
  if (written.ends_with('*') && !rule.any_path) {
    rule.path_prefix = true;
    written.pop_back();
  }
  if (written.find_first_of("*?", colon + 3) != std::string::npos) {
    return std::string("'*' may only open the host (*.example.com) or end the path (/hooks/*), and no query is taken");
  }
  auto parsed = parse_callback_url(written);
  if (auto* problem = std::get_if<std::string>(&parsed)) return *problem;
  const auto& url = std::get<CallbackUrl>(parsed);
  if (rule.any_subdomain && (url.ipv6 || url.host.find_first_not_of("0123456789.") == std::string::npos)) {
    return std::string("'*.' goes before a domain name, not an address");
  }
  rule.scheme = url.scheme;
  rule.host = url.host;
  rule.ipv6 = url.ipv6;
  rule.port = url.port;
  if (!rule.any_path) rule.path = url.path;
  return rule;
}

bool allows(const AllowRule& rule, const CallbackUrl& url) {
  if (url.scheme != rule.scheme || url.port != rule.port || url.ipv6 != rule.ipv6) return false;
  if (rule.any_subdomain) {
    if (url.ipv6 || url.host.size() <= rule.host.size() + 1 || !url.host.ends_with("." + rule.host)) return false;
  } else if (url.host != rule.host) {
    return false;
  }
  if (rule.any_path) return true;
  return rule.path_prefix ? url.path.starts_with(rule.path) : url.path == rule.path;
}

bool allows(const std::vector<AllowRule>& rules, const CallbackUrl& url) {
  return std::any_of(rules.begin(), rules.end(), [&](const AllowRule& rule) { return allows(rule, url); });
}

}  // namespace causeway::policy
