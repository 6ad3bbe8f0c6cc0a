#pragma once
// Table rows shared by the routing tests, and how they print and compare.

#include <ostream>
#include <string>
#include <string_view>

#include <gmock/gmock.h>

#include "routing/captures.h"
#include "routing/path_template.h"

namespace causeway::routing {

// Quoted, with bytes outside printable ASCII as \xNN, so ctest's test names stay readable.
inline std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
    }
  }
  return out + '"';
}

// A text and the expected result: an error message, a shape, a rendered value.
struct TextCase {
  std::string text;
  std::string expected;
};

inline std::ostream& operator<<(std::ostream& out, const TextCase& c) { return out << printable(c.text); }

// Template is PathTemplate or ValueTemplate: parsing c.text must fail with exactly c.expected.
template <typename Template>
void expect_parse_error(const TextCase& c) {
  EXPECT_THAT([&c] { Template::parse(c.text); }, ::testing::ThrowsMessage<TemplateError>(::testing::StrEq(c.expected)));
}

// Lets EXPECT_EQ compare whole capture lists and print them when they differ.
inline bool operator==(const Capture& a, const Capture& b) { return a.name == b.name && a.value == b.value; }

inline std::ostream& operator<<(std::ostream& out, const Capture& capture) {
  return out << capture.name << '=' << printable(capture.value);
}

}  // namespace causeway::routing
