#include "config/config_node.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string_view>
#include <unordered_set>

#include "config/config_loader.h"
#include "config/units.h"

namespace causeway::config {
namespace {

// yaml-cpp counts from 0 and has no position for nodes it made up.
Mark to_mark(const YAML::Node& node, Mark fallback) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return fallback;
  return Mark{mark.line + 1, mark.column + 1};
}

std::string join(const std::vector<std::string_view>& words) {
  std::string text;
  for (const std::string_view word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}

}  // namespace

bool is_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

ConfigNode::ConfigNode(YAML::Node node, const std::string& file)
    : ConfigNode(node, "", file, to_mark(node, Mark{1, 1})) {}

ConfigNode::ConfigNode(YAML::Node node, std::string path, const std::string& file, Mark mark)
    : node_(std::move(node)), path_(std::move(path)), file_(&file), mark_(mark) {}

void ConfigNode::fail(std::string message) const { throw ConfigError(*file_, mark_, path_, std::move(message)); }

void ConfigNode::fail_one_of(const std::vector<std::string_view>& words) const {
  fail("expected one of: " + join(words));
}

std::string ConfigNode::scalar() const {
  const std::string& text = node_.Scalar();
  if (text.find('$') == std::string::npos) return text;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size() || (text[i + 1] != '{' && text[i + 1] != '$')) {
      out.push_back(text[i]);
    } else if (text[i + 1] == '$') {
      out.push_back('$');  // "$$" is a literal dollar
      ++i;
    } else {
      const std::size_t close = text.find('}', i);
      if (close == std::string::npos) fail("unclosed '${' (write '$$' for a literal '$')");
      const std::string reference = text.substr(i + 2, close - i - 2);
      const std::size_t dash = reference.find(":-");
      const std::string variable = reference.substr(0, dash);
      const char* value = variable.empty() ? nullptr : std::getenv(variable.c_str());
      if (value && *value) {
        out += value;
      } else if (dash != std::string::npos) {
        out += reference.substr(dash + 2);
      } else {
        fail("environment variable " + variable + " is not set (give a default with ${" + variable + ":-value})");
      }
      i = close;
    }
  }
  return out;
}

std::string ConfigNode::string() const {
  if (!node_.IsScalar()) fail("expected a string");
  return scalar();
}

std::string ConfigNode::name() const {
  if (!node_.IsScalar() || !is_name(scalar())) fail("expected a name of letters, digits, '_', '.', '-'");
  return scalar();
}

std::int64_t ConfigNode::integer(std::int64_t min, std::int64_t max) const {
  if (!node_.IsScalar()) fail("expected an integer");
  const std::string text = scalar();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool whole = end == text.data() + text.size();
  if (!whole || (error != std::errc() && error != std::errc::result_out_of_range)) fail("expected an integer");
  if (error != std::errc() || value < min || value > max) {
    fail("expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

bool ConfigNode::boolean() const {
  if (node_.IsScalar()) {
    const std::string text = scalar();
    if (text == "true") return true;
    if (text == "false") return false;
  }
  fail("expected true or false");
}

Duration ConfigNode::duration() const {
  std::optional<Duration> value;
  if (node_.IsScalar()) value = parse_duration(scalar());
  if (!value) fail("expected a duration like 250ms, 5s, 1m");
  return *value;
}

std::size_t ConfigNode::size() const {
  std::optional<std::size_t> value;
  if (node_.IsScalar()) value = parse_size(scalar());
  if (!value) fail("expected a size like 512, 64KiB, 1MiB");
  return *value;
}

Endpoint ConfigNode::endpoint() const {
  std::optional<Endpoint> value;
  if (node_.IsScalar()) value = parse_endpoint(scalar());
  if (!value) fail("expected host:port");
  return *value;
}

std::vector<ConfigNode> ConfigNode::list() const {
  if (!node_.IsSequence()) fail("expected a list");
  std::vector<ConfigNode> items;
  for (const YAML::Node& item : node_) {
    const std::string path = path_ + "[" + std::to_string(items.size()) + "]";
    items.push_back(ConfigNode(item, path, *file_, to_mark(item, mark_)));
  }
  return items;
}

std::vector<MapEntry> ConfigNode::entries() const {
  if (!node_.IsMap()) fail("expected a mapping");
  std::vector<MapEntry> entries;
  // The keys' text lives in the document; a set keeps a mapping of thousands of
  // upstreams or listeners from comparing every key with every other.
  std::unordered_set<std::string_view> keys;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const Mark key_mark = to_mark(it->first, mark_);
    if (!it->first.IsScalar()) ConfigNode(it->first, path_, *file_, key_mark).fail("expected a string as the key");
    const std::string& key = it->first.Scalar();
    const std::string path = path_.empty() ? key : path_ + "." + key;
    ConfigNode key_node(it->first, path, *file_, key_mark);
    if (!keys.insert(key).second) key_node.fail("duplicate key");
    // yaml-cpp places an empty value at the next token, often a line below: point at its key.
    const Mark value_mark = it->second.IsNull() ? key_mark : to_mark(it->second, key_mark);
    entries.push_back(MapEntry{key, key_node, ConfigNode(it->second, path, *file_, value_mark)});
  }
  return entries;
}

Mapping::Mapping(const ConfigNode& node, std::initializer_list<std::string_view> keys,
                 std::initializer_list<NotImplemented> not_implemented)
    : Mapping(node, std::vector<std::string_view>(keys), not_implemented) {}

Mapping::Mapping(const ConfigNode& node, const std::vector<std::string_view>& keys,
                 std::initializer_list<NotImplemented> not_implemented)
    : node_(node), entries_(node.entries()) {
  for (const MapEntry& entry : entries_) {
    if (std::find(keys.begin(), keys.end(), entry.key) != keys.end()) continue;
    for (const NotImplemented& missing : not_implemented) {
      if (missing.key == entry.key) entry.key_node.fail(std::string(missing.message));
    }
    entry.key_node.fail("unknown key (expected one of: " + join(keys) + ")");
  }
}

const MapEntry* Mapping::find(std::string_view key) const {
  const auto found = std::find_if(entries_.begin(), entries_.end(), [&](const MapEntry& e) { return e.key == key; });
  return found == entries_.end() ? nullptr : &*found;
}

std::optional<ConfigNode> Mapping::optional(std::string_view key) const {
  if (const MapEntry* entry = find(key)) return entry->value;
  return std::nullopt;
}

ConfigNode Mapping::required(std::string_view key) const {
  if (const MapEntry* entry = find(key)) return entry->value;
  node_.fail("missing required key '" + std::string(key) + "'");
}

void Mapping::fail_at_key(std::string_view key, std::string message) const {
  if (const MapEntry* entry = find(key)) entry->key_node.fail(std::move(message));
  node_.fail(std::move(message));
}

}  // namespace causeway::config
