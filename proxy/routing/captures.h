#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace causeway::routing {

// A path variable and the value it matched, percent-decoded.
struct Capture {
  std::string name;
  std::string value;
};
using Captures = std::vector<Capture>;

const std::string* find_capture(const Captures& captures, std::string_view name);

}  // namespace causeway::routing
