#pragma once
// Request path normalization: what the route table matches on.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::routing {

// Normalizes a request path (without query): percent-encoded unreserved characters
// (ALPHA DIGIT - . _ ~) are decoded and other escapes upper-cased, "%2F" stays data,
// "." and ".." segments are resolved without escaping above the root, and empty
// segments ("//", a trailing "/") are dropped. The result starts with '/'.
// nullopt when the path does not start with '/', has a malformed escape, or
// contains a byte that is not allowed in a path (controls, space, '#', '?').
std::optional<std::string> normalize_path(std::string_view raw);

// Segments of a normalized path, still percent-encoded; "/" has none.
std::vector<std::string_view> split_segments(std::string_view normalized);

// Percent-decodes a segment completely ("%2F" becomes '/'); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace causeway::routing
