#include "routing/route_table.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "routing_test_cases.h"

namespace causeway::routing {
namespace {

using Kind = RouteMatch::Kind;

RouteEntry entry(std::size_t route, std::optional<std::string> method, std::string_view path) {
  return RouteEntry{route, std::move(method), PathTemplate::parse(path)};
}

// Route numbers start at 10 so an index mixed up with a route number shows.
RouteTable orders_table() {
  return RouteTable({
      entry(10, "GET", "/orders/{id}"),
      entry(11, "GET", "/orders/new"),
      entry(12, "POST", "/orders/{id}/events"),
      entry(13, std::nullopt, "/orders/{id}/events"),
      entry(14, "DELETE", "/orders/{id}"),
      entry(15, std::nullopt, "/static/{path=**}"),
      entry(16, "GET", "/static/special"),
  });
}

struct TableCase {
  std::string method;
  std::string path;
  Kind kind;
  std::size_t route = 0;
  Captures captures = {};
  std::string allow = {};
};

std::ostream& operator<<(std::ostream& out, const TableCase& c) { return out << c.method << ' ' << c.path; }

class RouteTableMatch : public ::testing::TestWithParam<TableCase> {};

TEST_P(RouteTableMatch, ChoosesTheMostSpecificRoute) {
  const TableCase& expected = GetParam();
  const RouteMatch match = orders_table().match(expected.method, expected.path);
  ASSERT_EQ(match.kind, expected.kind);
  EXPECT_EQ(match.route, expected.route);
  EXPECT_EQ(match.captures, expected.captures);
  EXPECT_EQ(match.allow, expected.allow);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RouteTableMatch,
    ::testing::Values(TableCase{"GET", "/orders/42", Kind::found, 10, {{"id", "42"}}},
                      TableCase{"GET", "/orders/new", Kind::found, 11},
                      TableCase{"DELETE", "/orders/new", Kind::found, 14, {{"id", "new"}}},
                      TableCase{"POST", "/orders/42", Kind::method_not_allowed, 0, {}, "DELETE, GET"},
                      TableCase{"PUT", "/orders/new", Kind::method_not_allowed, 0, {}, "DELETE, GET"},
                      TableCase{"POST", "/orders/7/events", Kind::found, 12, {{"id", "7"}}},
                      TableCase{"PUT", "/orders/7/events", Kind::found, 13, {{"id", "7"}}},
                      TableCase{"GET", "/static/special", Kind::found, 16},
                      TableCase{"POST", "/static/special", Kind::found, 15, {{"path", "special"}}},
                      TableCase{"GET", "/static", Kind::found, 15, {{"path", ""}}},
                      TableCase{"GET", "/static/css/a%2Fb.css", Kind::found, 15, {{"path", "css/a%2Fb.css"}}},
                      TableCase{"GET", "/orders/42/", Kind::found, 10, {{"id", "42"}}},
                      TableCase{"GET", "/x/../orders/%39", Kind::found, 10, {{"id", "9"}}},
                      TableCase{"GET", "/orders/a%2Fb", Kind::found, 10, {{"id", "a/b"}}},
                      TableCase{"get", "/orders/42", Kind::method_not_allowed, 0, {}, "DELETE, GET"},
                      TableCase{"GET", "/nothing", Kind::not_found},
                      TableCase{"GET", "/", Kind::not_found},
                      TableCase{"GET", "/orders/42/events/x", Kind::not_found},
                      TableCase{"GET", "orders", Kind::bad_path},
                      TableCase{"GET", "", Kind::bad_path},
                      TableCase{"GET", "/orders/%zz", Kind::bad_path},
                      TableCase{"GET", "/orders/4 2", Kind::bad_path}));

TEST(RouteTable, EmptyTableFindsNothing) {
  EXPECT_EQ(RouteTable().match("GET", "/").kind, Kind::not_found);
  EXPECT_EQ(RouteTable().match("GET", "/%").kind, Kind::bad_path);
}

TEST(RouteTable, SpecificMethodlessRouteBeatsVaguerRouteWithMethod) {
  const RouteTable table({entry(0, "GET", "/a/{x}"), entry(1, std::nullopt, "/a/b")});
  const RouteMatch match = table.match("GET", "/a/b");
  ASSERT_EQ(match.kind, Kind::found);
  EXPECT_EQ(match.route, 1u);
  EXPECT_TRUE(match.captures.empty());
}

TEST(RouteTable, TemplateEndBeatsEmptyRest) {
  const RouteTable table({entry(0, std::nullopt, "/a/{rest=**}"), entry(1, std::nullopt, "/a")});
  EXPECT_EQ(table.match("GET", "/a").route, 1u);
  EXPECT_EQ(table.match("GET", "/a/b").route, 0u);
}

TEST(RouteTable, AllowListsEachMethodOnceSorted) {
  const RouteTable table({entry(0, "POST", "/a/b"), entry(1, "GET", "/a/{x}"), entry(2, "GET", "/{y}/b"),
                          entry(3, "PATCH", "/other")});
  const RouteMatch match = table.match("PUT", "/a/b");
  ASSERT_EQ(match.kind, Kind::method_not_allowed);
  EXPECT_EQ(match.allow, "GET, POST");
}

// --- ambiguity ---------------------------------------------------------------------

struct AmbiguityCase {
  std::string name;
  std::vector<std::pair<std::optional<std::string>, std::string>> routes;
  std::optional<std::pair<std::size_t, std::size_t>> expected;
};

std::ostream& operator<<(std::ostream& out, const AmbiguityCase& c) { return out << c.name; }

class RouteTableAmbiguity : public ::testing::TestWithParam<AmbiguityCase> {};

TEST_P(RouteTableAmbiguity, FindsTheFirstClash) {
  std::vector<RouteEntry> entries;
  for (const auto& [method, path] : GetParam().routes) entries.push_back(entry(100 + entries.size(), method, path));
  const std::optional<Ambiguity> found = RouteTable::find_ambiguity(entries);
  ASSERT_EQ(found.has_value(), GetParam().expected.has_value());
  if (found) {
    EXPECT_EQ(found->first, GetParam().expected->first);
    EXPECT_EQ(found->second, GetParam().expected->second);
  }
}

using Pair = std::pair<std::size_t, std::size_t>;
const std::optional<std::string> kAny = std::nullopt;

INSTANTIATE_TEST_SUITE_P(
    Table, RouteTableAmbiguity,
    ::testing::Values(
        AmbiguityCase{"renamed variable", {{"GET", "/a/{x}"}, {"GET", "/a/{y}"}}, Pair{0, 1}},
        AmbiguityCase{"different methods", {{"GET", "/a/{x}"}, {"POST", "/a/{y}"}}, std::nullopt},
        AmbiguityCase{"method beats none", {{"GET", "/a/{x}"}, {kAny, "/a/{y}"}}, std::nullopt},
        AmbiguityCase{"both without method", {{kAny, "/a/{x}"}, {kAny, "/a/{y}"}}, Pair{0, 1}},
        AmbiguityCase{"literal beats variable", {{"GET", "/a/{x}"}, {"GET", "/a/b"}}, std::nullopt},
        AmbiguityCase{"variable beats rest", {{"GET", "/a/{x=**}"}, {"GET", "/a/{y}"}}, std::nullopt},
        AmbiguityCase{"star is a variable", {{"GET", "/a/{x=*}"}, {"GET", "/a/{y}"}}, Pair{0, 1}},
        AmbiguityCase{"same rest", {{"PUT", "/f/{p=**}"}, {"PUT", "/f/{q=**}"}}, Pair{0, 1}},
        AmbiguityCase{"normalized literals", {{"GET", "/a/./b"}, {"GET", "/a/%62"}}, Pair{0, 1}},
        AmbiguityCase{"later pair", {{"GET", "/x"}, {"GET", "/a/{p}"}, {"POST", "/q"}, {"GET", "/a/{q}"}}, Pair{1, 3}},
        AmbiguityCase{"first pair wins",
                      {{"GET", "/a"}, {"GET", "/b"}, {"GET", "/a"}, {"GET", "/b"}},
                      Pair{0, 2}},
        AmbiguityCase{"earliest later entry wins",
                      {{"GET", "/a"}, {"GET", "/b"}, {"GET", "/b"}, {"GET", "/a"}},
                      Pair{1, 2}},
        AmbiguityCase{"with the first it clashes with",
                      {{"GET", "/a/{x}"}, {"GET", "/a/{y}"}, {"GET", "/a/{z}"}},
                      Pair{0, 1}},
        AmbiguityCase{"no routes", {}, std::nullopt}));

}  // namespace
}  // namespace causeway::routing
