#include "routing/value_template.h"

#include <algorithm>

#include "routing/path_template.h"

namespace causeway::routing {

ValueTemplate ValueTemplate::parse(std::string_view text) {
  ValueTemplate result;
  result.text_ = std::string(text);
  auto& pieces = result.pieces_;
  const auto add_literal = [&pieces](std::string_view literal) {
    if (pieces.empty() || pieces.back().variable) pieces.push_back({false, {}});
    pieces.back().text += literal;
  };
  const std::string where = " in '" + std::string(text) + "'";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool doubled = i + 1 < text.size() && text[i + 1] == c;
    if (c == '}') {
      if (!doubled) throw TemplateError("lone '}'" + where + ": write '}}' for a literal brace");
      add_literal("}");
      ++i;
    } else if (c == '{' && doubled) {
      add_literal("{");
      ++i;
    } else if (c == '{') {
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) throw TemplateError("unclosed '{'" + where);
      const std::string_view name = text.substr(i + 1, close - i - 1);
      if (name.empty()) throw TemplateError("empty '{}'" + where);
      if (!is_variable_name(name)) throw TemplateError("invalid variable name '" + std::string(name) + "'" + where);
      pieces.push_back({true, std::string(name)});
      i = close;
    } else {
      add_literal(text.substr(i, 1));
    }
  }
  return result;
}

std::string ValueTemplate::render(const Captures& captures) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    if (!piece.variable) {
      out += piece.text;
    } else if (const std::string* value = find_capture(captures, piece.text)) {
      out += *value;
    }
  }
  return out;
}

// Each name once, in order of first use: what config validation checks against the path.
std::vector<std::string> ValueTemplate::variables() const {
  std::vector<std::string> names;
  for (const Piece& piece : pieces_) {
    if (piece.variable && std::find(names.begin(), names.end(), piece.text) == names.end()) {
      names.push_back(piece.text);
    }
  }
  return names;
}

bool ValueTemplate::is_literal() const {
  return std::none_of(pieces_.begin(), pieces_.end(), [](const Piece& piece) { return piece.variable; });
}

}  // namespace causeway::routing
