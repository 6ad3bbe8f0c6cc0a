#include "routing/path_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "routing/path.h"
#include "routing_test_cases.h"

namespace causeway::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// --- parse errors ---------------------------------------------------------------

class PathTemplateParseError : public ::testing::TestWithParam<TextCase> {};

TEST_P(PathTemplateParseError, NamesTheProblem) {
  expect_parse_error<PathTemplate>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Table, PathTemplateParseError,
    ::testing::Values(
        TextCase{"", "path template must start with '/'"},
        TextCase{"orders/{id}", "path template must start with '/'"},
        TextCase{"/files/{rest=**}/x", "'{rest=**}' must be the last segment"},
        TextCase{"/files/{rest=**}/{x}", "'{rest=**}' must be the last segment"},
        TextCase{"/files/{rest=**}/..", "'{rest=**}' must be the last segment"},
        TextCase{"/{id}/{id}", "duplicate variable 'id'"},
        TextCase{"/{id}/x/{id=**}", "duplicate variable 'id'"},
        TextCase{"/a{b}", "variable must be a whole segment: 'a{b}'"},
        TextCase{"/{a}b", "variable must be a whole segment: '{a}b'"},
        TextCase{"/{a}{b}", "variable must be a whole segment: '{a}{b}'"},
        TextCase{"/{a", "unbalanced braces in '{a'"},
        TextCase{"/a}", "unbalanced braces in 'a}'"},
        TextCase{"/{{a}}", "unbalanced braces in '{{a}}'"},
        TextCase{"/{a/b}", "unbalanced braces in '{a'"},
        TextCase{"/{}", "variable without a name: '{}'"},
        TextCase{"/{=**}", "variable without a name: '{=**}'"},
        TextCase{"/{1x}", "invalid variable name '1x'"},
        TextCase{"/{a-b}", "invalid variable name 'a-b'"},
        TextCase{"/{order.}", "invalid variable name 'order.'"},
        TextCase{"/{.id}", "invalid variable name '.id'"},
        TextCase{"/{order..id}", "invalid variable name 'order..id'"},
        TextCase{"/{x=foo}", "unsupported pattern in '{x=foo}': use '{name}' or '{name=**}'"},
        TextCase{"/{x=***}", "unsupported pattern in '{x=***}': use '{name}' or '{name=**}'"},
        TextCase{"/a b", "invalid character or escape in 'a b'"},
        TextCase{"/%zz", "invalid character or escape in '%zz'"},
        TextCase{"/a?q", "invalid character or escape in 'a?q'"},
        TextCase{"/{x}/..", "'..' cannot remove variable 'x'"}));

// --- parsed form ---------------------------------------------------------------------

class PathTemplateShape : public ::testing::TestWithParam<TextCase> {};

TEST_P(PathTemplateShape, NormalizesLiterals) {
  const PathTemplate path = PathTemplate::parse(GetParam().text);
  EXPECT_EQ(path.shape(), GetParam().expected);
  EXPECT_EQ(path.text(), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(Table, PathTemplateShape,
                         ::testing::Values(TextCase{"/", "/"}, TextCase{"/orders/{customer}/events", "/orders/{}/events"},
                                           TextCase{"/files/{path=**}", "/files/{**}"},
                                           TextCase{"/files/{path=**}/", "/files/{**}"}, TextCase{"/{x=*}", "/{}"},
                                           TextCase{"/a/./b", "/a/b"}, TextCase{"/a/../b", "/b"},
                                           TextCase{"/a/%2e%2E/b", "/b"}, TextCase{"/../a", "/a"},
                                           TextCase{"/x//y/", "/x/y"}, TextCase{"/A%7e", "/A~"},
                                           TextCase{"/a%2fb", "/a%2Fb"}, TextCase{"/v1/{a}/x/../{b}", "/v1/{}/{}"}));

TEST(PathTemplate, SegmentsHoldKindsAndNames) {
  const PathTemplate path = PathTemplate::parse("/orders/{id}/{rest=**}");
  ASSERT_EQ(path.segments().size(), 3u);
  EXPECT_EQ(path.segments()[0].kind, PathTemplate::Kind::literal);
  EXPECT_EQ(path.segments()[0].text, "orders");
  EXPECT_EQ(path.segments()[1].kind, PathTemplate::Kind::variable);
  EXPECT_EQ(path.segments()[1].text, "id");
  EXPECT_EQ(path.segments()[2].kind, PathTemplate::Kind::rest);
  EXPECT_EQ(path.segments()[2].text, "rest");
  EXPECT_THAT(path.variables(), ElementsAre("id", "rest"));
}

TEST(PathTemplate, VariableNames) {
  EXPECT_TRUE(is_variable_name("a"));
  EXPECT_TRUE(is_variable_name("_x9"));
  EXPECT_TRUE(is_variable_name("Customer_Id"));
  EXPECT_FALSE(is_variable_name(""));
  EXPECT_FALSE(is_variable_name("9a"));
  EXPECT_FALSE(is_variable_name("a-b"));
  EXPECT_FALSE(is_variable_name("a.b"));
}

// google.api.http names message fields by dotted paths: one variable, the field's path.
TEST(PathTemplate, DottedVariablesNameFields) {
  const auto path = PathTemplate::parse("/v1/orders/{order.id}/reservation");
  ASSERT_EQ(path.segments().size(), 4u);
  EXPECT_EQ(path.segments()[2].kind, PathTemplate::Kind::variable);
  EXPECT_EQ(path.segments()[2].text, "order.id");
  Captures captures;
  const std::vector<std::string_view> segments{"v1", "orders", "o-7", "reservation"};
  ASSERT_TRUE(path.match(segments, captures));
  ASSERT_EQ(captures.size(), 1u);
  EXPECT_EQ(captures[0].name, "order.id");
  EXPECT_EQ(captures[0].value, "o-7");
}

// --- matching ----------------------------------------------------------------------

struct MatchCase {
  std::string path_template;
  std::string raw_path;
  std::optional<Captures> captures;  // nullopt: no match
};

std::ostream& operator<<(std::ostream& out, const MatchCase& c) {
  return out << printable(c.path_template) << " on " << printable(c.raw_path);
}

class PathTemplateMatch : public ::testing::TestWithParam<MatchCase> {};

TEST_P(PathTemplateMatch, CapturesDecodedValues) {
  const PathTemplate path = PathTemplate::parse(GetParam().path_template);
  const std::optional<std::string> normalized = normalize_path(GetParam().raw_path);
  ASSERT_TRUE(normalized.has_value());
  const std::vector<std::string_view> segments = split_segments(*normalized);
  Captures captures;
  const bool matched = path.match(segments, captures);
  EXPECT_EQ(path.matches(segments), matched);
  ASSERT_EQ(matched, GetParam().captures.has_value());
  if (matched) {
    EXPECT_EQ(captures, *GetParam().captures);
  } else {
    EXPECT_THAT(captures, IsEmpty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, PathTemplateMatch,
    ::testing::Values(
        MatchCase{"/orders/{id}", "/orders/42", Captures{{"id", "42"}}},
        MatchCase{"/orders/{id}", "/orders", std::nullopt}, MatchCase{"/orders/{id}", "/orders/42/x", std::nullopt},
        MatchCase{"/orders/{id}", "/order/42", std::nullopt},
        MatchCase{"/orders/{id}", "/orders/a%2Fb", Captures{{"id", "a/b"}}},
        MatchCase{"/orders/{id}", "/orders/a%20b", Captures{{"id", "a b"}}},
        MatchCase{"/orders/{id}", "/orders/%7e", Captures{{"id", "~"}}},
        MatchCase{"/orders/{id}", "/orders/%25", Captures{{"id", "%"}}},
        MatchCase{"/{a}/{b}", "/x/y", Captures{{"a", "x"}, {"b", "y"}}},
        MatchCase{"/files/{p=**}", "/files", Captures{{"p", ""}}},
        MatchCase{"/files/{p=**}", "/files/a/b/c", Captures{{"p", "a/b/c"}}},
        MatchCase{"/files/{p=**}", "/files/a%2Fb/c%20d", Captures{{"p", "a%2Fb/c d"}}},
        MatchCase{"/files/{p=**}", "/files/a%2fb", Captures{{"p", "a%2Fb"}}},
        MatchCase{"/files/{p=**}", "/file", std::nullopt},
        MatchCase{"/files/{p=**}", "/files/../etc/passwd", std::nullopt},
        MatchCase{"/{x=**}", "/", Captures{{"x", ""}}}, MatchCase{"/{x}", "/", std::nullopt},
        MatchCase{"/", "/", Captures{}}, MatchCase{"/", "/a", std::nullopt},
        MatchCase{"/a/%2e%2e/b", "/b", Captures{}}, MatchCase{"/a%2Fb", "/a%2fb", Captures{}},
        MatchCase{"/a%2Fb", "/a/b", std::nullopt}, MatchCase{"/a%7Eb", "/a~b", Captures{}},
        MatchCase{"/v1/{sku}/x", "/v1/./A%2d1/x/", Captures{{"sku", "A-1"}}}));

TEST(PathTemplate, MatchAppendsToExistingCaptures) {
  const PathTemplate path = PathTemplate::parse("/a/{x}");
  const std::vector<std::string_view> segments = {"a", "1"};
  Captures captures = {{"before", "kept"}};
  ASSERT_TRUE(path.match(segments, captures));
  EXPECT_EQ(captures, (Captures{{"before", "kept"}, {"x", "1"}}));
}

TEST(PathTemplate, FailedMatchLeavesCapturesAlone) {
  const PathTemplate path = PathTemplate::parse("/{x}/{y}");
  const std::vector<std::string_view> malformed = {"ok", "%zz"};  // not normalized
  Captures captures = {{"before", "kept"}};
  EXPECT_FALSE(path.match(malformed, captures));
  EXPECT_EQ(captures, (Captures{{"before", "kept"}}));
}

// --- specificity -------------------------------------------------------------------

struct SpecificityCase {
  std::string first;
  std::string second;
  int expected;  // sign of first.compare_specificity(second)
};

std::ostream& operator<<(std::ostream& out, const SpecificityCase& c) {
  return out << printable(c.first) << " vs " << printable(c.second);
}

class PathTemplateSpecificity : public ::testing::TestWithParam<SpecificityCase> {};

int sign(int value) { return (value > 0) - (value < 0); }

TEST_P(PathTemplateSpecificity, OrdersByFirstDifferentKind) {
  const PathTemplate first = PathTemplate::parse(GetParam().first);
  const PathTemplate second = PathTemplate::parse(GetParam().second);
  EXPECT_EQ(sign(first.compare_specificity(second)), GetParam().expected);
  EXPECT_EQ(sign(second.compare_specificity(first)), -GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Table, PathTemplateSpecificity,
                         ::testing::Values(SpecificityCase{"/a", "/a/{x=**}", -1},
                                           SpecificityCase{"/a/{x}", "/{y}/b", -1},
                                           SpecificityCase{"/a/{x}/c", "/a/{x=**}", -1},
                                           SpecificityCase{"/a/b/{y=**}", "/a/{x=**}", -1},
                                           SpecificityCase{"/orders/new", "/orders/{id}", -1},
                                           SpecificityCase{"/", "/{x=**}", -1},
                                           SpecificityCase{"/{x}", "/{x=**}", -1},
                                           SpecificityCase{"/{x}", "/{y}", 0}, SpecificityCase{"/a/b", "/a/c", 0},
                                           SpecificityCase{"/a/{p=**}", "/b/{q=**}", 0},
                                           SpecificityCase{"/", "/", 0}));

// --- overlap ------------------------------------------------------------------------

struct OverlapCase {
  std::string first;
  std::string second;
  bool overlap;
};

std::ostream& operator<<(std::ostream& out, const OverlapCase& c) {
  return out << printable(c.first) << " vs " << printable(c.second);
}

class PathTemplateOverlap : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(PathTemplateOverlap, SomePathMatchesBoth) {
  const PathTemplate first = PathTemplate::parse(GetParam().first);
  const PathTemplate second = PathTemplate::parse(GetParam().second);
  EXPECT_EQ(first.overlaps(second), GetParam().overlap);
  EXPECT_EQ(second.overlaps(first), GetParam().overlap);
}

INSTANTIATE_TEST_SUITE_P(Table, PathTemplateOverlap,
                         ::testing::Values(OverlapCase{"/quotes", "/quotes", true}, OverlapCase{"/{x}", "/quotes", true},
                                           OverlapCase{"/{x=**}", "/quotes", true}, OverlapCase{"/{x=**}", "/", true},
                                           OverlapCase{"/a/{x=**}", "/a", true}, OverlapCase{"/soap/{t}", "/{s}/acme", true},
                                           OverlapCase{"/a/{x}", "/b/{x}", false}, OverlapCase{"/{x}", "/a/b", false},
                                           OverlapCase{"/quotes", "/quotes/{id}", false},
                                           OverlapCase{"/a/{x=**}", "/b", false}));

}  // namespace
}  // namespace causeway::routing
