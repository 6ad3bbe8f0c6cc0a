#include "admin/exposition.h"

#include <cmath>
#include <cstdlib>

namespace causeway::admin {

namespace {

// Reads `"value"` at text[at] (the opening quote), unescaping \\, \" and \n.
bool read_quoted(std::string_view text, std::size_t& at, std::string& out) {
  if (at >= text.size() || text[at] != '"') return false;
  for (++at; at < text.size(); ++at) {
    const char c = text[at];
    if (c == '"') {
      ++at;
      return true;
    }
    if (c == '\\' && at + 1 < text.size()) {
      const char next = text[++at];
      out += next == 'n' ? '\n' : next;
    } else {
      out += c;
    }
  }
  return false;
}

bool read_labels(std::string_view text, std::size_t& at, std::map<std::string, std::string>& labels) {
  ++at;  // '{'
  while (at < text.size() && text[at] != '}') {
    const auto equals = text.find('=', at);
    if (equals == std::string_view::npos) return false;
    std::string key(text.substr(at, equals - at));
    at = equals + 1;
    std::string value;
    if (!read_quoted(text, at, value)) return false;
    labels[std::move(key)] = std::move(value);
    if (at < text.size() && text[at] == ',') ++at;
  }
  if (at >= text.size()) return false;
  ++at;  // '}'
  return true;
}

double read_value(std::string_view text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  return std::strtod(std::string(text).c_str(), nullptr);
}

}  // namespace

const std::string& Sample::label(const std::string& key) const {
  static const std::string none;
  auto found = labels.find(key);
  return found == labels.end() ? none : found->second;
}

std::vector<Sample> parse_exposition(std::string_view text) {
  std::vector<Sample> samples;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;

    Sample sample;
    std::size_t at = line.find_first_of("{ ");
    if (at == std::string_view::npos) continue;
    sample.name = std::string(line.substr(0, at));
    if (line[at] == '{' && !read_labels(line, at, sample.labels)) continue;
    while (at < line.size() && line[at] == ' ') ++at;
    const auto value_end = line.find(' ', at);  // a timestamp may follow
    const auto value = line.substr(at, value_end == std::string_view::npos ? line.npos : value_end - at);
    if (value.empty()) continue;
    sample.value = read_value(value);
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace causeway::admin
