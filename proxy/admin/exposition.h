#pragma once
// Reads back the Prometheus text the registry renders, so the admin views (/routes, the
// dashboard) count from the same samples /metrics shows, collectors included.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::admin {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;

  // The label's value, or "" when the sample has no such label.
  const std::string& label(const std::string& key) const;
};

// Every sample line of a text exposition (format 0.0.4); comments and lines that do not
// parse are skipped.
std::vector<Sample> parse_exposition(std::string_view text);

}  // namespace causeway::admin
