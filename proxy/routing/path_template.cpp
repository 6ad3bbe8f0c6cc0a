#include "routing/path_template.h"

#include <algorithm>
#include <optional>

#include "routing/path.h"

namespace causeway::routing {
namespace {

using Kind = PathTemplate::Kind;
using Segment = PathTemplate::Segment;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Where a segment's braces are: none, around the whole segment, elsewhere, or unpaired.
enum class Braces { none, whole, partial, unbalanced };

Braces classify_braces(std::string_view segment) {
  bool open = false;
  int pairs = 0;
  for (char c : segment) {
    if (c == '{' || c == '}') {
      if (open == (c == '{')) return Braces::unbalanced;
      open = !open;
      pairs += c == '}' ? 1 : 0;
    }
  }
  if (open) return Braces::unbalanced;
  if (pairs == 0) return Braces::none;
  const bool whole = pairs == 1 && segment.front() == '{' && segment.back() == '}';
  return whole ? Braces::whole : Braces::partial;
}

// A variable's name, or a dotted path of them as google.api.http names message fields
// ("order.id").
bool is_field_path(std::string_view name) {
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    if (!is_variable_name(name.substr(start, dot - start))) return false;
    start = dot + 1;
  }
  return true;
}

// "{name}", "{name=*}" or "{name=**}".
Segment parse_variable(std::string_view segment) {
  const std::string_view inner = segment.substr(1, segment.size() - 2);
  const std::size_t equals = inner.find('=');
  const std::string_view name = inner.substr(0, equals);
  const std::string_view pattern = equals == std::string_view::npos ? "*" : inner.substr(equals + 1);
  if (name.empty()) throw TemplateError("variable without a name: " + quoted(segment));
  if (!is_field_path(name)) throw TemplateError("invalid variable name " + quoted(name));
  if (pattern == "*") return {Kind::variable, std::string(name)};
  if (pattern == "**") return {Kind::rest, std::string(name)};
  throw TemplateError("unsupported pattern in " + quoted(segment) + ": use '{name}' or '{name=**}'");
}

void check_not_after_rest(const std::vector<Segment>& segments) {
  if (!segments.empty() && segments.back().kind == Kind::rest) {
    throw TemplateError("'{" + segments.back().text + "=**}' must be the last segment");
  }
}

void add_variable(std::vector<Segment>& segments, std::string_view raw) {
  Segment variable = parse_variable(raw);
  check_not_after_rest(segments);
  const bool duplicate = std::any_of(segments.begin(), segments.end(), [&](const Segment& s) {
    return s.kind != Kind::literal && s.text == variable.text;
  });
  if (duplicate) throw TemplateError("duplicate variable " + quoted(variable.text));
  segments.push_back(std::move(variable));
}

// Literals get the path's normalization, so a template and the paths it should match agree.
void add_literal(std::vector<Segment>& segments, std::string_view raw) {
  const std::optional<std::string> normalized = normalize_path("/" + std::string(raw));
  if (!normalized) throw TemplateError("invalid character or escape in " + quoted(raw));
  if (*normalized != "/") {
    check_not_after_rest(segments);
    segments.push_back({Kind::literal, normalized->substr(1)});
    return;
  }
  if (percent_decode(raw) != "..") return;  // empty or "."
  if (segments.empty()) return;             // ".." never climbs above the root
  check_not_after_rest(segments);
  if (segments.back().kind != Kind::literal) {
    throw TemplateError("'..' cannot remove variable " + quoted(segments.back().text));
  }
  segments.pop_back();
}

// A {name=**} value: segments decoded and joined by '/', "%2F" kept so it stays distinct.
std::optional<std::string> join_rest(std::span<const std::string_view> rest) {
  std::string joined;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (i > 0) joined.push_back('/');
    std::size_t start = 0;
    for (;;) {
      const std::size_t slash = rest[i].find("%2F", start);
      const std::optional<std::string> piece = percent_decode(rest[i].substr(start, slash - start));
      if (!piece) return std::nullopt;
      joined += *piece;
      if (slash == std::string_view::npos) break;
      joined += "%2F";
      start = slash + 3;
    }
  }
  return joined;
}

// Rank of the kind at a position, higher is more specific; past the end counts as "end".
int specificity_rank(const std::vector<Segment>& segments, std::size_t i) {
  if (i >= segments.size()) return 1;
  switch (segments[i].kind) {
    case Kind::literal: return 3;
    case Kind::variable: return 2;
    case Kind::rest: return 0;
  }
  return 0;
}

}  // namespace

bool is_variable_name(std::string_view name) {
  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (name.empty() || !letter(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || digit(c); });
}

PathTemplate PathTemplate::parse(std::string_view text) {
  if (text.empty() || text.front() != '/') throw TemplateError("path template must start with '/'");
  PathTemplate result;
  result.text_ = std::string(text);
  for (std::string_view raw : split_segments(text)) {
    switch (classify_braces(raw)) {
      case Braces::none: add_literal(result.segments_, raw); break;
      case Braces::whole: add_variable(result.segments_, raw); break;
      case Braces::partial: throw TemplateError("variable must be a whole segment: " + quoted(raw));
      case Braces::unbalanced: throw TemplateError("unbalanced braces in " + quoted(raw));
    }
  }
  return result;
}

bool PathTemplate::matches(std::span<const std::string_view> segments) const {
  std::size_t i = 0;
  for (const Segment& segment : segments_) {
    if (segment.kind == Kind::rest) return true;
    if (i == segments.size()) return false;
    if (segment.kind == Kind::literal && segment.text != segments[i]) return false;
    ++i;
  }
  return i == segments.size();
}

bool PathTemplate::match(std::span<const std::string_view> segments, Captures& captures) const {
  if (!matches(segments)) return false;
  const std::size_t before = captures.size();
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = segments_[i];
    if (segment.kind == Kind::literal) continue;
    std::optional<std::string> value =
        segment.kind == Kind::variable ? percent_decode(segments[i]) : join_rest(segments.subspan(i));
    if (!value) {  // only a path that was not normalized can have a malformed escape
      captures.resize(before);
      return false;
    }
    captures.push_back({segment.text, std::move(*value)});
  }
  return true;
}

int PathTemplate::compare_specificity(const PathTemplate& other) const {
  const std::size_t length = std::max(segments_.size(), other.segments_.size());
  for (std::size_t i = 0; i < length; ++i) {
    const int mine = specificity_rank(segments_, i);
    const int theirs = specificity_rank(other.segments_, i);
    if (mine != theirs) return mine > theirs ? -1 : 1;
  }
  return 0;
}

bool PathTemplate::overlaps(const PathTemplate& other) const {
  const auto& mine = segments_;
  const auto& theirs = other.segments_;
  for (std::size_t i = 0;; ++i) {
    const bool my_end = i == mine.size(), their_end = i == theirs.size();
    // {x=**} is last and takes zero or more segments: whatever the other has left.
    if ((!my_end && mine[i].kind == Kind::rest) || (!their_end && theirs[i].kind == Kind::rest)) return true;
    if (my_end || their_end) return my_end && their_end;
    if (mine[i].kind == Kind::literal && theirs[i].kind == Kind::literal && mine[i].text != theirs[i].text) return false;
  }
}

std::string PathTemplate::shape() const {
  if (segments_.empty()) return "/";
  std::string shape;
  for (const Segment& segment : segments_) {
    shape.push_back('/');
    switch (segment.kind) {
      case Kind::literal: shape += segment.text; break;
      case Kind::variable: shape += "{}"; break;
      case Kind::rest: shape += "{**}"; break;
    }
  }
  return shape;
}

std::vector<std::string> PathTemplate::variables() const {
  std::vector<std::string> names;
  for (const Segment& segment : segments_) {
    if (segment.kind != Kind::literal) names.push_back(segment.text);
  }
  return names;
}

}  // namespace causeway::routing
