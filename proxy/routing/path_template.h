#pragma once
// Path templates: literal segments, {name} (one segment), {name=**} (the rest, last only).
// Names may be dotted ("{order.id}"), as google.api.http names the fields they set.

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "routing/captures.h"

namespace causeway::routing {

struct TemplateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// [A-Za-z_][A-Za-z0-9_]*: the names path and value templates accept.
bool is_variable_name(std::string_view name);

class PathTemplate {
 public:
  enum class Kind { literal, variable, rest };
  struct Segment {
    Kind kind;
    std::string text;  // the literal (normalized), or the variable's name
  };

  // Throws TemplateError saying what is wrong, e.g. "'{x=**}' must be the last segment".
  static PathTemplate parse(std::string_view text);

  // Matches normalized segments; on success appends the captures (decoded values).
  // {name} matches exactly one segment, {name=**} zero or more (joined by '/',
  // "%2F" inside a segment kept encoded).
  bool match(std::span<const std::string_view> segments, Captures& captures) const;

  // The same test as match() without decoding captures, so a route table can pick its
  // winner without allocating for the losers.
  bool matches(std::span<const std::string_view> segments) const;

  // Which of two templates that both match a path wins: at the first position where
  // they differ in kind, literal beats {name}, which beats the template's end, which
  // beats {name=**} (so "/a" beats "/a/{x=**}" for "/a"). Negative when this one is
  // more specific, 0 when they are equally specific.
  int compare_specificity(const PathTemplate& other) const;

  // Whether some path matches both templates ("/{x}" and "/quotes" do, "/a/{x}" and
  // "/b/{x}" do not): a route that merely overlaps another still takes its requests
  // wherever it is the more specific of the two.
  bool overlaps(const PathTemplate& other) const;

  // Templates with the same shape match exactly the same paths: literals kept,
  // variables as "{}" and "{**}". Two routes with one shape and method are ambiguous.
  std::string shape() const;

  const std::string& text() const { return text_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // The same text is the same template.
  bool operator==(const PathTemplate& other) const { return text_ == other.text_; }
  std::vector<std::string> variables() const;

 private:
  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace causeway::routing
