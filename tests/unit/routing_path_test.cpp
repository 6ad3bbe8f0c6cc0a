#include "routing/path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>

#include "routing_test_cases.h"

namespace causeway::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct NormalizeCase {
  std::string raw;
  std::optional<std::string> expected;
};

std::ostream& operator<<(std::ostream& out, const NormalizeCase& c) {
  return out << printable(c.raw) << " -> " << (c.expected ? printable(*c.expected) : "nullopt");
}

class NormalizePath : public ::testing::TestWithParam<NormalizeCase> {};

TEST_P(NormalizePath, GivesExpectedResult) {
  const std::optional<std::string> normalized = normalize_path(GetParam().raw);
  EXPECT_EQ(normalized, GetParam().expected);
  if (normalized) {
    EXPECT_EQ(normalize_path(*normalized), normalized) << "not idempotent";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, NormalizePath,
    ::testing::Values(
        // Shape: root, empty segments, trailing slash.
        NormalizeCase{"/", "/"}, NormalizeCase{"", std::nullopt}, NormalizeCase{"a/b", std::nullopt},
        NormalizeCase{"/a/b", "/a/b"}, NormalizeCase{"/x//y/", "/x/y"}, NormalizeCase{"//", "/"},
        NormalizeCase{"/a/b/", "/a/b"},
        // Dot segments, plain and encoded, never above the root.
        NormalizeCase{"/a/./b", "/a/b"}, NormalizeCase{"/a/../b", "/b"}, NormalizeCase{"/a/%2e%2E/b", "/b"},
        NormalizeCase{"/.%2e/x", "/x"}, NormalizeCase{"/a/%2E", "/a"}, NormalizeCase{"/../../etc", "/etc"},
        NormalizeCase{"/a/b/../../../c", "/c"}, NormalizeCase{"/..", "/"}, NormalizeCase{"/a/..", "/"},
        NormalizeCase{"/a/...", "/a/..."}, NormalizeCase{"/a/.b/..c", "/a/.b/..c"},
        NormalizeCase{"/%2e%2e%2fetc", "/..%2Fetc"}, NormalizeCase{"/.", "/"}, NormalizeCase{"/a/.", "/a"},
        NormalizeCase{"/.a/a./..a/a..", "/.a/a./..a/a.."}, NormalizeCase{"/orders/c42", "/orders/c42"},
        // Escapes: unreserved decoded, others upper-cased, %2F kept as data.
        NormalizeCase{"/a%2fb", "/a%2Fb"}, NormalizeCase{"/a%2Fb", "/a%2Fb"},
        NormalizeCase{"/%41%7a%30%2D%2e%5F%7E", "/Az0-._~"}, NormalizeCase{"/a%3ab", "/a%3Ab"},
        NormalizeCase{"/a%20b", "/a%20b"}, NormalizeCase{"/%25", "/%25"}, NormalizeCase{"/%252e", "/%252e"},
        NormalizeCase{"/%c3%a9", "/%C3%A9"},
        // Malformed escapes.
        NormalizeCase{"/%", std::nullopt}, NormalizeCase{"/%4", std::nullopt}, NormalizeCase{"/%zz", std::nullopt},
        NormalizeCase{"/%4g", std::nullopt}, NormalizeCase{"/a%", std::nullopt},
        // Bytes that never belong in a path.
        NormalizeCase{"/a b", std::nullopt}, NormalizeCase{"/a#b", std::nullopt},
        NormalizeCase{"/a?b", std::nullopt}, NormalizeCase{"/a\tb", std::nullopt},
        NormalizeCase{"/a\r\nb", std::nullopt}, NormalizeCase{"/a\x7f", std::nullopt},
        NormalizeCase{std::string("/a\0b", 4), std::nullopt},
        // Other bytes pass as they are.
        NormalizeCase{"/caf\xC3\xA9", "/caf\xC3\xA9"}, NormalizeCase{"/a{b}|c", "/a{b}|c"},
        NormalizeCase{"/a=b*c;d,e", "/a=b*c;d,e"}));

TEST(SplitSegments, RootHasNone) { EXPECT_THAT(split_segments("/"), IsEmpty()); }

TEST(SplitSegments, KeepsEscapesAndOrder) {
  EXPECT_THAT(split_segments("/a%2Fb/c/d"), ElementsAre("a%2Fb", "c", "d"));
}

TEST(SplitSegments, SkipsEmptySegments) { EXPECT_THAT(split_segments("//a//b/"), ElementsAre("a", "b")); }

TEST(PercentDecode, DecodesEverything) {
  EXPECT_EQ(percent_decode("a%2Fb%2fc"), "a/b/c");
  EXPECT_EQ(percent_decode("%41%7e"), "A~");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percent_decode("plain"), "plain");
  EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("a%2"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
}

}  // namespace
}  // namespace causeway::routing
