#pragma once
// Reading YAML against the schema. Every node knows its key path and where it was
// written, so any value can fail with "file:line:col: path: what was expected".

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace causeway::config {

struct MapEntry;

// [A-Za-z0-9_.-]+: names of listeners, brokers and routes, and Kafka's topic alphabet.
bool is_name(std::string_view text);

class ConfigNode {
 public:
  // The document root: empty path, positioned where yaml-cpp says it starts.
  ConfigNode(YAML::Node node, const std::string& file);

  const YAML::Node& yaml() const { return node_; }
  const std::string& path() const { return path_; }
  Mark mark() const { return mark_; }

  [[noreturn]] void fail(std::string message) const;

  // Scalars: any scalar is text, quoted or not, with ${NAME} and ${NAME:-default}
  // taken from the environment ("$$" is a literal "$"); null and collections fail
  // with "expected <what>".
  std::string string() const;
  std::string name() const;  // a string that is_name()
  std::int64_t integer(std::int64_t min, std::int64_t max) const;
  bool boolean() const;  // true or false, as YAML 1.2 writes them
  Duration duration() const;
  std::size_t size() const;
  Endpoint endpoint() const;
  template <typename T>
  T one_of(std::initializer_list<std::pair<std::string_view, T>> words) const;

  // The scalar's text with environment references replaced; fails on an unset one.
  std::string scalar() const;

  std::vector<ConfigNode> list() const;
  // A mapping's entries in file order; fails on a key that is not a string or that repeats.
  std::vector<MapEntry> entries() const;

 private:
  ConfigNode(YAML::Node node, std::string path, const std::string& file, Mark mark);
  [[noreturn]] void fail_one_of(const std::vector<std::string_view>& words) const;

  YAML::Node node_;
  std::string path_;
  const std::string* file_;
  Mark mark_;
};

struct MapEntry {
  std::string key;
  ConfigNode key_node;  // its path already ends in the key
  ConfigNode value;
};

// A key the design has but Causeway does not implement yet, and what to say about it.
struct NotImplemented {
  std::string_view key;
  std::string_view message;
};

// A mapping checked against its schema: the keys a parse function lists are the only
// ones it accepts, so a typo fails as "unknown key" before any value is read.
class Mapping {
 public:
  Mapping(const ConfigNode& node, std::initializer_list<std::string_view> keys,
          std::initializer_list<NotImplemented> not_implemented = {});
  Mapping(const ConfigNode& node, const std::vector<std::string_view>& keys,
          std::initializer_list<NotImplemented> not_implemented = {});

  const ConfigNode& node() const { return node_; }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::optional<ConfigNode> optional(std::string_view key) const;
  ConfigNode required(std::string_view key) const;  // "missing required key 'x'" at the mapping
  [[noreturn]] void fail_at_key(std::string_view key, std::string message) const;

 private:
  const MapEntry* find(std::string_view key) const;

  ConfigNode node_;
  std::vector<MapEntry> entries_;
};

template <typename T>
T ConfigNode::one_of(std::initializer_list<std::pair<std::string_view, T>> words) const {
  if (node_.IsScalar()) {
    const std::string text = scalar();
    for (const auto& [word, value] : words) {
      if (text == word) return value;
    }
  }
  std::vector<std::string_view> names;
  for (const auto& word : words) names.push_back(word.first);
  fail_one_of(names);
}

}  // namespace causeway::config
