#include "routing/path.h"

#include <algorithm>

namespace causeway::routing {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte an escape at text[i] ('%' included) stands for; -1 when it is malformed.
int escaped_byte(std::string_view text, std::size_t i) {
  if (i + 2 >= text.size()) return -1;
  int high = hex_value(text[i + 1]);
  int low = hex_value(text[i + 2]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// '?' and '#' would end the path; controls and space never belong in a request line.
bool is_forbidden(unsigned char c) { return c < 0x20 || c == 0x7F || c == ' ' || c == '#' || c == '?'; }

// Appends one raw segment to out in canonical escaping; false when it is malformed.
bool append_canonical(std::string_view segment, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < segment.size(); ++i) {
    const auto c = static_cast<unsigned char>(segment[i]);
    if (is_forbidden(c)) return false;
    if (c != '%') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    const int byte = escaped_byte(segment, i);
    if (byte < 0) return false;
    i += 2;
    if (is_unreserved(static_cast<unsigned char>(byte))) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return true;
}

// Whether a path is its own normal form: no escape, no byte normalize_path() refuses, and
// no empty, "." or ".." segment. Most request paths are; one scan spares them the rewrite.
bool already_normal(std::string_view raw) {
  std::size_t length = 0, dots = 0;  // of the segment being read
  for (std::size_t i = 1; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == '/') {
      if (length == dots && length <= 2) return false;  // "", "." or ".."
      length = dots = 0;
      continue;
    }
    if (c == '%' || is_forbidden(c)) return false;
    ++length;
    dots += c == '.';
  }
  return raw.size() == 1 || !(length == dots && length <= 2);
}

}  // namespace

std::optional<std::string> normalize_path(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') return std::nullopt;
  if (already_normal(raw)) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  std::size_t start = 1;
  while (start <= raw.size()) {
    std::size_t end = raw.find('/', start);
    if (end == std::string_view::npos) end = raw.size();
    // Segments are canonicalized in place first, so "%2e%2E" is resolved as "..".
    const std::size_t slash = out.size();
    out.push_back('/');
    if (!append_canonical(raw.substr(start, end - start), out)) return std::nullopt;
    const std::string_view segment = std::string_view(out).substr(slash + 1);
    if (segment.empty() || segment == ".") {
      out.resize(slash);
    } else if (segment == "..") {
      out.resize(slash);
      const std::size_t parent = out.rfind('/');
      out.resize(parent == std::string::npos ? 0 : parent);
    }
    start = end + 1;
  }
  if (out.empty()) out.push_back('/');  // not `out = "/"`: GCC 12 warns falsely of an overlap there (-Wrestrict)
  return out;
}

std::vector<std::string_view> split_segments(std::string_view normalized) {
  std::vector<std::string_view> segments;
  segments.reserve(static_cast<std::size_t>(std::count(normalized.begin(), normalized.end(), '/')) + 1);  // one allocation
  std::size_t start = 0;
  while (start < normalized.size()) {
    std::size_t end = normalized.find('/', start);
    if (end == std::string_view::npos) end = normalized.size();
    if (end > start) segments.push_back(normalized.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

std::optional<std::string> percent_decode(std::string_view text) {
  if (text.find('%') == std::string_view::npos) return std::string(text);  // the usual case: one copy
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int byte = escaped_byte(text, i);
    if (byte < 0) return std::nullopt;
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return out;
}

}  // namespace causeway::routing
