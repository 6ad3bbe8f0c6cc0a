#pragma once
// HTTP's rules for names, shared by config validation and the flows that apply them.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace causeway::config {

// RFC 9110 token: what a method or a header name may be made of.
inline bool is_token(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSymbols.find(c) != std::string_view::npos;
  });
}

// A field value HTTP can carry as it is: no control characters but tab.
inline bool is_field_value(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });
}

// HTTP's names are ASCII: folded without the C library's locale lookup per byte.
inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// Header names (and words of values, like "chunked") compare without regard to case.
// Not Beast's iequals: 1.81's reads a byte past both strings once a letter differs in case.
inline bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// RFC 9110 9.2.2: sending one of these twice has the effect of sending it once.
inline bool is_idempotent_method(std::string_view method) {
  for (std::string_view idempotent : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) {
    if (method == idempotent) return true;
  }
  return false;
}

// A field value or parameter without the optional whitespace (spaces, tabs) around it.
inline std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

inline std::string lower_case(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

}  // namespace causeway::config
