#include "routing/value_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "routing/path_template.h"
#include "routing_test_cases.h"

namespace causeway::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ValueTemplateParseError : public ::testing::TestWithParam<TextCase> {};

TEST_P(ValueTemplateParseError, NamesTheProblem) {
  expect_parse_error<ValueTemplate>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValueTemplateParseError,
    ::testing::Values(TextCase{"{", "unclosed '{' in '{'"},
                      TextCase{"orders.{region", "unclosed '{' in 'orders.{region'"},
                      TextCase{"{}", "empty '{}' in '{}'"},
                      TextCase{"{1a}", "invalid variable name '1a' in '{1a}'"},
                      TextCase{"{a b}", "invalid variable name 'a b' in '{a b}'"},
                      TextCase{"{a{b}", "invalid variable name 'a{b' in '{a{b}'"},
                      TextCase{"a}b", "lone '}' in 'a}b': write '}}' for a literal brace"},
                      TextCase{"{a}}", "lone '}' in '{a}}': write '}}' for a literal brace"},
                      TextCase{"}", "lone '}' in '}': write '}}' for a literal brace"}));

class ValueTemplateRender : public ::testing::TestWithParam<TextCase> {};

TEST_P(ValueTemplateRender, SubstitutesCaptures) {
  const Captures captures = {{"customer", "c-17"}, {"region", "eu"}, {"empty", ""}};
  EXPECT_EQ(ValueTemplate::parse(GetParam().text).render(captures), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Table, ValueTemplateRender,
                         ::testing::Values(TextCase{"{customer}", "c-17"},
                                           TextCase{"orders.{region}.v1", "orders.eu.v1"},
                                           TextCase{"{region}{customer}", "euc-17"},
                                           TextCase{"{{literal}}", "{literal}"},
                                           TextCase{"{{{region}}}", "{eu}"}, TextCase{"a}}b{{c", "a}b{c"},
                                           TextCase{"{missing}-{region}", "-eu"},
                                           TextCase{"[{empty}]", "[]"}, TextCase{"plain", "plain"},
                                           TextCase{"", ""}));

TEST(ValueTemplate, ListsEachVariableOnceInOrder) {
  EXPECT_THAT(ValueTemplate::parse("{b}.{a}.{b}").variables(), ElementsAre("b", "a"));
  EXPECT_THAT(ValueTemplate::parse("{{b}}").variables(), IsEmpty());
}

TEST(ValueTemplate, IsLiteralWithoutVariables) {
  EXPECT_TRUE(ValueTemplate::parse("orders.created").is_literal());
  EXPECT_TRUE(ValueTemplate::parse("{{x}}").is_literal());
  EXPECT_TRUE(ValueTemplate().is_literal());
  EXPECT_FALSE(ValueTemplate::parse("orders.{region}").is_literal());
}

TEST(ValueTemplate, KeepsItsText) { EXPECT_EQ(ValueTemplate::parse("a{{{x}").text(), "a{{{x}"); }

TEST(ValueTemplate, RendersFirstCaptureOfAName) {
  const Captures captures = {{"x", "first"}, {"x", "second"}};
  EXPECT_EQ(ValueTemplate::parse("{x}").render(captures), "first");
}

}  // namespace
}  // namespace causeway::routing
