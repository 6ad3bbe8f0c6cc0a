#pragma once
// Strings with path variables in them, as in key: "{customer}" or topic: "orders.{region}".

#include <string>
#include <string_view>
#include <vector>

#include "routing/captures.h"

namespace causeway::routing {

class ValueTemplate {
 public:
  ValueTemplate() = default;
  // "{{" and "}}" stand for literal braces. Throws TemplateError (path_template.h) on
  // an unclosed or empty "{...}" or a name that is not [A-Za-z_][A-Za-z0-9_]*.
  static ValueTemplate parse(std::string_view text);

  // Substitutes the captures; a variable without a capture renders empty.
  std::string render(const Captures& captures) const;

  std::vector<std::string> variables() const;
  bool is_literal() const;
  const std::string& text() const { return text_; }
  bool operator==(const ValueTemplate& other) const { return text_ == other.text_; }

 private:
  struct Piece {
    bool variable;
    std::string text;  // literal text, or the variable's name
  };
  std::string text_;
  std::vector<Piece> pieces_;
};

}  // namespace causeway::routing
