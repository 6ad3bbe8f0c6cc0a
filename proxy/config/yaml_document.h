#pragma once
// Text to a YAML tree, with yaml-cpp's syntax errors turned into ConfigErrors.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace causeway::config {

// The file's one document (a null node when it has none); throws ConfigError on invalid
// YAML or on a second document, which would otherwise be ignored without a word.
YAML::Node load_yaml_document(std::string_view yaml, const std::string& file);

}  // namespace causeway::config
