// Template text from config files: parsing either succeeds or throws TemplateError, and
// what parses behaves consistently.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/path.h"
#include "routing/path_template.h"
#include "routing/value_template.h"

namespace {

using namespace causeway::routing;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// A concrete path the template must match: each variable filled with a plain value.
std::string example_path(const PathTemplate& path) {
  std::string text;
  for (const PathTemplate::Segment& segment : path.segments()) {
    text += '/';
    text += segment.kind == PathTemplate::Kind::literal ? segment.text : "v" + segment.text;
  }
  return text.empty() ? "/" : text;
}

// The template written back from its parsed segments; literals are already normalized.
std::string canonical_text(const PathTemplate& path) {
  std::string text;
  for (const PathTemplate::Segment& segment : path.segments()) {
    switch (segment.kind) {
      case PathTemplate::Kind::literal: text += "/" + segment.text; break;
      case PathTemplate::Kind::variable: text += "/{" + segment.text + "}"; break;
      case PathTemplate::Kind::rest: text += "/{" + segment.text + "=**}"; break;
    }
  }
  return text.empty() ? "/" : text;
}

// Parse errors are expected; anything but TemplateError escapes and crashes the run.
template <typename Template>
std::optional<Template> parsed(std::string_view text) {
  try {
    return Template::parse(text);
  } catch (const TemplateError&) {
    return std::nullopt;
  }
}

void check_path_template(std::string_view text) {
  const std::optional<PathTemplate> parsed_path = parsed<PathTemplate>(text);
  if (!parsed_path) return;
  const PathTemplate& path = *parsed_path;
  check(path.text() == text);
  check(path.compare_specificity(path) == 0);
  check(PathTemplate::parse(canonical_text(path)).shape() == path.shape());

  const std::vector<std::string> names = path.variables();
  const std::optional<std::string> example = normalize_path(example_path(path));
  check(example.has_value());
  const std::vector<std::string_view> segments = split_segments(*example);
  Captures captures;
  check(path.match(segments, captures));
  check(captures.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) check(captures[i].name == names[i]);
}

void check_value_template(std::string_view text) {
  const std::optional<ValueTemplate> parsed_value = parsed<ValueTemplate>(text);
  if (!parsed_value) return;
  const ValueTemplate& value = *parsed_value;
  check(value.text() == text);
  check(value.is_literal() == value.variables().empty());
  Captures captures;
  for (const std::string& name : value.variables()) captures.push_back({name, "<" + name + ">"});
  const std::string rendered = value.render(captures);
  // Every brace in the text is either doubled or part of a variable, so rendering
  // with no captures can only shorten it.
  check(value.render({}).size() <= text.size());
  if (value.is_literal()) check(rendered == value.render({}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_path_template(text);
  check_value_template(text);
  return 0;
}
