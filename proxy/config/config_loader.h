#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config/config.h"

namespace causeway::config {

// what() reads "file:line:col: path.to.key: what was expected", e.g.
// "config/causeway.yaml:14:7: routes[1].to.topic: expected a string". Line and column
// are 1-based. The path is left out for the document itself ("f.yaml:1:1: expected a
// mapping at the top level"), the position when there is none, mark().line == 0
// ("f.yaml: cannot read file: No such file or directory"). Control characters other
// than line breaks are escaped in the path and message ("\x00").
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, Mark mark, std::string path, std::string message);
  const std::string& file() const { return file_; }
  Mark mark() const { return mark_; }
  const std::string& path() const { return path_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  Mark mark_;
  std::string path_;
  std::string message_;
};

// The largest config file read. Real ones are kilobytes; YAML nodes take some 80 times
// the text's size, so an unbounded file could take gigabytes before it failed.
inline constexpr std::size_t kMaxConfigFileBytes = 16 * 1024 * 1024;

// Reads and validates a whole file; throws ConfigError (also for a file that cannot be
// read, or one over kMaxConfigFileBytes: "f.yaml: the file is over the limit of 16 MiB ...").
// Relative paths in it (TLS files, protos) are resolved from the file's directory.
Config load_config(const std::string& file);

// The same for text already in memory; file is used in messages only, and paths stay as
// written.
Config parse_config(std::string_view yaml, const std::string& file);

}  // namespace causeway::config
