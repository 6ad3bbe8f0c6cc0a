#pragma once
// Callback URLs a client hands over, and the allow list a route checks them against
// (DESIGN.md "Callbacks and streams"). Parsing is strict on purpose: anything a
// resolver, a server or another URL parser could read differently (userinfo, numeric
// host spellings, percent-encoded hosts, dot segments, backslashes) is refused rather
// than normalized, and nothing here resolves a name. Pure.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace causeway::policy {

struct CallbackUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-case name or IPv4 literal, or a canonical IPv6 literal without brackets
  bool ipv6 = false;
  std::uint16_t port = 0;  // the scheme's default when the URL gives none
  std::string path;        // starts with '/'
  std::string query;       // without the '?'; empty for none
  std::string target() const;  // path and query, as sent in the request line
  std::string text() const;    // the URL as Causeway calls it
  bool operator==(const CallbackUrl&) const = default;
};

// The URL, or why it is refused.
std::variant<CallbackUrl, std::string> parse_callback_url(std::string_view text);

// An `allow` entry: scheme://host[:port][/path], where the host may start with "*."
// (any name below that domain, not the domain itself) and the path may end with '*'
// (a prefix). Without a port only the scheme's default port matches; without a path
// any path does.
struct AllowRule {
  std::string text;  // as written
  std::string scheme;
  std::string host;
  bool ipv6 = false;
  bool any_subdomain = false;
  std::uint16_t port = 0;
  std::string path;  // empty with any_path
  bool path_prefix = false;
  bool any_path = false;
  bool operator==(const AllowRule&) const = default;
};

std::variant<AllowRule, std::string> parse_allow_rule(std::string_view text);

bool allows(const AllowRule& rule, const CallbackUrl& url);
bool allows(const std::vector<AllowRule>& rules, const CallbackUrl& url);

}  // namespace causeway::policy
