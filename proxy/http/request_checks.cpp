#include "http/request_checks.h"

#include <algorithm>
#include <array>

#include "config/http_names.h"

namespace causeway::http {

namespace bhttp = boost::beast::http;
using bridge::Failure;

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// One look-up per byte: every request's Host is checked, and isalnum plus a search of the
// punctuation for each byte cost 500 instructions for "127.0.0.1:8080".
constexpr auto kRegNameChars = [] {
  std::array<bool, 256> allowed{};
  for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=%")) allowed[static_cast<unsigned char>(c)] = true;
  return allowed;
}();

bool is_reg_name_char(char c) { return kRegNameChars[static_cast<unsigned char>(c)]; }

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool starts_absolute(std::string_view target) {
  return config::same_name(target.substr(0, 7), "http://") || config::same_name(target.substr(0, 8), "https://");
}

}  // namespace

std::string_view origin_form(std::string_view target) {
  if (!starts_absolute(target)) return target;
  std::string_view rest = target.substr(target.find("//") + 2);
  auto path = rest.find_first_of("/?");
  if (path == std::string_view::npos) return "/";
  rest = rest.substr(path);
  return rest.front() == '?' ? std::string_view{} : rest;  // "http://h?q" has no path: refused below
}

std::string_view target_authority(std::string_view target) {
  if (!starts_absolute(target)) return {};
  std::string_view authority = target.substr(target.find("//") + 2);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  return authority;
}

bool valid_host(std::string_view value) {
  std::string_view host = value;
  if (host.starts_with('[')) {
    auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    auto literal = host.substr(1, close - 1);
    if (literal.empty() || literal.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) return false;
    host = host.substr(close + 1);
    if (host.empty()) return true;
    if (host.front() != ':') return false;
    return all_digits(host.substr(1));
  }
  auto colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    if (!all_digits(host.substr(colon + 1))) return false;
    host = host.substr(0, colon);
  }
  return !host.empty() && std::all_of(host.begin(), host.end(), is_reg_name_char);
}

std::optional<Rejection> check_request_head(const bhttp::request_header<>& head, const config::HttpLimits& limits) {
  std::size_t fields = 0, content_lengths = 0, transfer_encodings = 0, hosts = 0;
  std::string_view transfer_encoding, host;
  for (const auto& field : head) {
    ++fields;
    switch (field.name()) {
      case bhttp::field::content_length:
        ++content_lengths;
        // "5, 5" is a list of lengths: as ambiguous as two fields.
        if (field.value().find(',') != std::string_view::npos) ++content_lengths;
        break;
      case bhttp::field::transfer_encoding:
        ++transfer_encodings;
        transfer_encoding = field.value();
        break;
      case bhttp::field::host:
        ++hosts;
        host = field.value();
        break;
      default: break;
    }
  }
  if (fields > limits.max_headers) {
    return Rejection{Failure::headers_too_large, "more than " + std::to_string(limits.max_headers) + " header fields"};
  }
  if (content_lengths > 1) return Rejection{Failure::bad_request, "more than one Content-Length"};
  if (transfer_encodings > 0) {
    if (content_lengths > 0) return Rejection{Failure::bad_request, "both Content-Length and Transfer-Encoding"};
    if (transfer_encodings > 1) return Rejection{Failure::bad_request, "more than one Transfer-Encoding"};
    if (head.version() < 11) return Rejection{Failure::bad_request, "Transfer-Encoding in an HTTP/1.0 request"};
    if (!config::same_name(trim(transfer_encoding), "chunked")) {
      return Rejection{Failure::bad_request, "unsupported Transfer-Encoding '" + std::string(transfer_encoding) + "'"};
    }
  }
  if (head.version() >= 11 && hosts == 0) return Rejection{Failure::bad_request, "missing Host header"};
  if (hosts > 1) return Rejection{Failure::bad_request, "more than one Host header"};
  // A space or a folded line in Host is how smuggling hides a header from some proxies.
  if (hosts == 1 && !valid_host(host)) return Rejection{Failure::bad_request, "invalid Host header"};
  auto target = origin_form(head.target());
  if (target.empty() || target.front() != '/') {
    return Rejection{Failure::bad_request, "the request target must be a path, or an absolute http(s) URL"};
  }
  // RFC 9110 4.2.1: an http URI with an empty host is invalid; what is passed on as the host must be one.
  if (starts_absolute(head.target()) && !valid_host(target_authority(head.target()))) {
    return Rejection{Failure::bad_request, "the request target's authority is not a valid host"};
  }
  return std::nullopt;
}

}  // namespace causeway::http
