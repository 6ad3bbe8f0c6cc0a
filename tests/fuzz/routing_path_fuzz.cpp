// Request paths from the wire: normalization invariants and matching must hold for any bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/path.h"
#include "routing/path_template.h"
#include "routing/route_table.h"

namespace {

using namespace causeway::routing;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

const RouteTable& table() {
  static const RouteTable routes({
      {0, "GET", PathTemplate::parse("/orders/{id}")},
      {1, "GET", PathTemplate::parse("/orders/new")},
      {2, std::nullopt, PathTemplate::parse("/orders/{id}/events")},
      {3, "POST", PathTemplate::parse("/files/{path=**}")},
      {4, std::nullopt, PathTemplate::parse("/")},
  });
  return routes;
}

void check_normalized(const std::string& path) {
  check(!path.empty() && path.front() == '/');
  check(path == "/" || path.back() != '/');
  check(path.find("//") == std::string::npos);
  for (std::string_view segment : split_segments(path)) {
    check(!segment.empty() && segment != "." && segment != "..");
    check(percent_decode(segment).has_value());
  }
  check(normalize_path(path) == path);
}

void check_matching(std::string_view raw, const std::string& path) {
  const std::vector<std::string_view> segments = split_segments(path);
  const PathTemplate everything = PathTemplate::parse("/{all=**}");
  Captures captures;
  check(everything.match(segments, captures) && captures.size() == 1);
  check(captures[0].name == "all");

  for (const char* method : {"GET", "POST", "PUT"}) {
    const RouteMatch match = table().match(method, raw);
    check(match.kind != RouteMatch::Kind::bad_path);
    check(match.kind == RouteMatch::Kind::found || match.captures.empty());
    check((match.kind == RouteMatch::Kind::method_not_allowed) == !match.allow.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::optional<std::string> path = normalize_path(raw);
  if (!path) {
    check(table().match("GET", raw).kind == RouteMatch::Kind::bad_path);
    return 0;
  }
  check_normalized(*path);
  check_matching(raw, *path);
  return 0;
}
