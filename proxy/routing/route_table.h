#pragma once
// Chooses the route for a method and a raw path among one listener's routes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/captures.h"
#include "routing/path_template.h"

namespace causeway::routing {

struct RouteEntry {
  std::size_t route;                  // caller's index for the route
  std::optional<std::string> method;  // upper-case; nullopt matches every method
  PathTemplate path;
};

struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed, bad_path };
  Kind kind = Kind::not_found;
  std::size_t route = 0;  // when found
  Captures captures;      // when found
  std::string allow;      // when method_not_allowed: "GET, POST"
};

// Two entries that match the same paths with equal specificity for some method.
struct Ambiguity {
  std::size_t first;  // indexes into the entries given
  std::size_t second;
};

class RouteTable {
 public:
  RouteTable() = default;
  explicit RouteTable(std::vector<RouteEntry> entries);

  // The most specific entry whose template matches the normalized path and whose
  // method is the request's (an entry with its method beats one with none).
  RouteMatch match(std::string_view method, std::string_view raw_path) const;

  // Config validation: a pair of entries no request could choose between, the one whose
  // later entry comes first (with the first entry it clashes with).
  static std::optional<Ambiguity> find_ambiguity(const std::vector<RouteEntry>& entries);

 private:
  std::vector<RouteEntry> entries_;
};

}  // namespace causeway::routing
