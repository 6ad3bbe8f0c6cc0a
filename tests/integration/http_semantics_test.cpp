// HTTP/1.1 as clients use it: pipelining, HTTP/1.0, routing answers, path normalization.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "harness.h"

namespace causeway::testing {
namespace {

TEST(HttpSemantics, PipelinedRequestsAreAnsweredInOrder) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  // The first waits for the broker, the second could be answered at once: order must hold anyway.
  HttpRequest event{.method = "POST", .path = "/orders/c1/events", .body = "{}"};
  HttpRequest unknown{.method = "GET", .path = "/nowhere"};
  ASSERT_TRUE(connection.send(event.text() + unknown.text()));

  auto first = connection.read_response();
  auto second = connection.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 202) << first->body;
  EXPECT_EQ(second->status, 404) << second->body;
}

TEST(HttpSemantics, KeepAliveServesSeveralRequestsOnOneConnection) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(connection.send(
        HttpRequest{.method = "POST", .path = "/orders/c" + std::to_string(i) + "/events", .body = "{}"}));
    auto response = connection.read_response();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 202) << response->body;
  }
}

TEST(HttpSemantics, PipelinedMalformedRequestIsAnsweredAfterTheGoodOneThenClosed) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  HttpRequest event{.method = "POST", .path = "/orders/c1/events", .body = "{}"};
  ASSERT_TRUE(
      connection.send(event.text() + "GET /nowhere HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"));

  auto first = connection.read_response();
  auto second = connection.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 202) << first->body;
  EXPECT_EQ(second->status, 400) << second->body;
  EXPECT_TRUE(connection.closed_by_peer(5s));
}

TEST(HttpSemantics, Http10WithoutKeepAliveIsAnsweredAndClosed) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send("POST /orders/c1/events HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 202) << response->body;
  EXPECT_TRUE(connection.closed_by_peer(5s));
}

TEST(HttpSemantics, QueryStringDoesNotChangeTheRoute) {
  CausewayProcess causeway;
  auto response = http(causeway.listener(), "POST", "/orders/c1/events?source=web&x=%zz", {}, "{}");
  EXPECT_EQ(response.status, 202) << response.body;
}

// RFC 9112 section 3.2.2: "a server MUST accept the absolute-form in requests".
TEST(HttpSemantics, AbsoluteFormTargetIsRouted) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(
      "POST http://causeway.test/orders/c1/events HTTP/1.1\r\nHost: causeway.test\r\nContent-Length: 2\r\n\r\n{}"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 202) << response->body;
}

TEST(HttpSemantics, UnknownPathIs404Json) {
  CausewayProcess causeway;
  auto response = http(causeway.listener(), "GET", "/nowhere");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.error(), "not_found") << response.body;
  EXPECT_TRUE(response.json().as_object().contains("message")) << response.body;
}

TEST(HttpSemantics, WrongMethodIs405WithAllow) {
  CausewayProcess causeway;
  auto response = http(causeway.listener(), "GET", "/orders/c1/events");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.error(), "method_not_allowed") << response.body;
  auto allow = response.header("allow");
  ASSERT_TRUE(allow);
  EXPECT_NE(allow->find("POST"), std::string::npos) << *allow;
}

TEST(HttpSemantics, DotSegmentsAreResolvedBeforeRouting) {
  CausewayProcess causeway;
  // Plain and percent-encoded dots resolve alike; ".." at the root stays there (RFC 3986).
  for (const auto* path : {"/orders/x/../c42/events", "/orders/x/%2E%2e/c43/events", "/../../orders/c44/events"}) {
    auto response = http(causeway.listener(), "POST", path, {}, "{}");
    EXPECT_EQ(response.status, 202) << path << " " << response.body;
  }
  std::set<std::string> keys;
  for (const auto& message : TopicReader(causeway.broker(), "orders.created").read(3)) {
    keys.insert(message.key.value_or("(none)"));
  }
  EXPECT_EQ(keys, (std::set<std::string>{"c42", "c43", "c44"}));
}

TEST(HttpSemantics, PercentEncodedUnreservedCharactersAreDecodedForTheKey) {
  CausewayProcess causeway;
  auto response = http(causeway.listener(), "POST", "/orders/c%34%32/events", {}, "{}");
  ASSERT_EQ(response.status, 202) << response.body;
  auto messages = TopicReader(causeway.broker(), "orders.created").read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].key, "c42");
}

TEST(HttpSemantics, EncodedSlashStaysInsideItsSegment) {
  CausewayProcess causeway;
  auto response = http(causeway.listener(), "POST", "/orders/a%2Fb/events", {}, "{}");
  ASSERT_EQ(response.status, 202) << response.body;
  auto messages = TopicReader(causeway.broker(), "orders.created").read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].key, "a/b") << "a {name} capture is percent-decoded";
}

TEST(HttpSemantics, MalformedEscapeIs400) {
  CausewayProcess causeway;
  auto response = http(causeway.listener(), "POST", "/orders/%zz/events", {}, "{}");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.error(), "bad_request") << response.body;
}

TEST(HttpSemantics, DirectResponseRouteIsAnsweredByCausewayForAnyMethod) {
  TestConfig config;
  config.extra_routes = R"(  - name: maintenance
    from: { listener: public, path: /status }
    to: { status: 200, body: '{"ok":true}', content_type: application/json }
)";
  CausewayProcess causeway(config);
  for (const auto* method : {"GET", "POST"}) {
    auto response = http(causeway.listener(), method, "/status");
    EXPECT_EQ(response.status, 200) << method;
    EXPECT_EQ(response.body, R"({"ok":true})") << method;
    EXPECT_EQ(response.header("content-type"), "application/json") << method;
  }
  EXPECT_EQ(scrape_metrics(causeway.admin()).value("causeway_requests_total", {{"route", "maintenance"}}), 2);
}

}  // namespace
}  // namespace causeway::testing
