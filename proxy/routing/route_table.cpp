#include "routing/route_table.h"

#include <algorithm>
#include <unordered_map>

#include "routing/path.h"

namespace causeway::routing {
namespace {

// Whether a candidate should replace the best so far: more specific path first, then
// an explicit method over a method-less route.
bool better_than(const RouteEntry& candidate, const RouteEntry& best) {
  const int order = candidate.path.compare_specificity(best.path);
  if (order != 0) return order < 0;
  return candidate.method.has_value() && !best.method.has_value();
}

// The Allow header for a path some routes match, none with the request's method.
std::string allowed_methods(const std::vector<RouteEntry>& entries, std::span<const std::string_view> segments) {
  std::vector<std::string_view> methods;
  for (const RouteEntry& entry : entries) {
    if (entry.method && entry.path.matches(segments)) methods.push_back(*entry.method);
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  std::string allow;
  for (std::string_view method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  return allow;
}

}  // namespace

RouteTable::RouteTable(std::vector<RouteEntry> entries) : entries_(std::move(entries)) {}

RouteMatch RouteTable::match(std::string_view method, std::string_view raw_path) const {
  RouteMatch result;
  const std::optional<std::string> path = normalize_path(raw_path);
  if (!path) {
    result.kind = RouteMatch::Kind::bad_path;
    return result;
  }
  const std::vector<std::string_view> segments = split_segments(*path);
  const RouteEntry* best = nullptr;
  bool path_matched = false;
  for (const RouteEntry& entry : entries_) {
    if (!entry.path.matches(segments)) continue;
    path_matched = true;
    if (entry.method && *entry.method != method) continue;
    if (best == nullptr || better_than(entry, *best)) best = &entry;
  }
  if (best != nullptr) {
    // A normalized path always decodes, so this match cannot fail.
    best->path.match(segments, result.captures);
    result.kind = RouteMatch::Kind::found;
    result.route = best->route;
  } else if (path_matched) {
    result.kind = RouteMatch::Kind::method_not_allowed;
    result.allow = allowed_methods(entries_, segments);
  }
  return result;
}

std::optional<Ambiguity> RouteTable::find_ambiguity(const std::vector<RouteEntry>& entries) {
  // One pass with the first entry of each (method, shape): linear, where comparing every
  // pair made a config of 64k routes take seconds to validate.
  std::unordered_map<std::string, std::size_t> first_of;
  first_of.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    // A method-less route and one with a method do not clash: the method wins. Methods
    // are tokens, never holding '\n', so the key cannot run into the shape.
    const RouteEntry& entry = entries[i];
    std::string key = entry.method ? "=" + *entry.method : "*";
    key += '\n';
    key += entry.path.shape();
    const auto [first, inserted] = first_of.try_emplace(std::move(key), i);
    if (!inserted) return Ambiguity{first->second, i};
  }
  return std::nullopt;
}

}  // namespace causeway::routing
