// The listener's limits, set small: 413, 431, 408, idle close, 100-continue.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"

namespace causeway::testing {
namespace {

TestConfig small_limits() {
  TestConfig config;
  config.limits =
      "{ max_body: 1KiB, max_header_bytes: 2KiB, max_headers: 20, header_timeout: 1s, "
      "body_timeout: 1s, idle_timeout: 2s }";
  return config;
}

std::string head(const std::string& fields) {
  return "POST /orders/c1/events HTTP/1.1\r\nHost: causeway.test\r\n" + fields + "\r\n";
}

// The answer to what was sent, its JSON error code, and the connection closed after it.
void expect_rejected(CausewayProcess& causeway, HttpConnection& connection, int status, const std::string& error) {
  auto response = connection.read_response(5s);
  ASSERT_TRUE(response) << "no " << status << " response: "
                        << (connection.closed_by_peer(0ms) ? "the connection was closed without one"
                                                           : "nothing arrived in 5 s")
                        << "; log:\n"
                        << causeway.log();
  EXPECT_EQ(response->status, status) << response->body;
  EXPECT_EQ(response->error(), error) << response->body;
  EXPECT_TRUE(connection.closed_by_peer(5s)) << "Causeway kept the connection open";
  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_EQ(metrics.value("causeway_http_protocol_errors_total", {{"code", std::to_string(status)}}), 1)
      << metrics.text();
}

TEST(Limits, BodyOverLimitIsRefusedFromItsContentLengthBeforeTheBodyIsSent) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(head("Content-Length: 2048\r\n")));  // and no body
  expect_rejected(causeway, connection, 413, "body_too_large");
}

TEST(Limits, ChunkedBodyOverLimitIs413) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  std::string chunk(800, 'x');
  ASSERT_TRUE(connection.send(head("Transfer-Encoding: chunked\r\n") + "320\r\n" + chunk + "\r\n320\r\n" + chunk +
                              "\r\n0\r\n\r\n"));
  expect_rejected(causeway, connection, 413, "body_too_large");
}

TEST(Limits, BodyAtTheLimitIsAccepted) {
  CausewayProcess causeway(small_limits());
  auto response = http(causeway.listener(), "POST", "/orders/c1/events", {}, std::string(1024, 'x'));
  EXPECT_EQ(response.status, 202) << response.body;
}

TEST(Limits, HeadersOverMaxHeaderBytesAre431) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(head("X-Big: " + std::string(3000, 'b') + "\r\nContent-Length: 2\r\n") + "{}"));
  expect_rejected(causeway, connection, 431, "headers_too_large");
}

TEST(Limits, MoreHeaderFieldsThanMaxHeadersAre431) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  std::string fields;
  for (int i = 0; i < 25; ++i) fields += "X-Field-" + std::to_string(i) + ": v\r\n";
  ASSERT_TRUE(connection.send(head(fields + "Content-Length: 2\r\n") + "{}"));
  expect_rejected(causeway, connection, 431, "headers_too_large");
}

TEST(Limits, RequestAtTheHeaderLimitsIsAccepted) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  std::string fields;  // with Host and Content-Length: exactly max_headers (20), about 1.5 KiB
  for (int i = 0; i < 18; ++i) fields += "X-Field-" + std::to_string(i) + ": " + std::string(64, 'v') + "\r\n";
  ASSERT_TRUE(connection.send(head(fields + "Content-Length: 2\r\n") + "{}"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 202) << response->body;
}

TEST(Limits, HalfSentHeadIs408AfterHeaderTimeout) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send("POST /orders/c1/events HTTP/1.1\r\nHost: causeway.test\r\n"));
  expect_rejected(causeway, connection, 408, "request_timeout");
}

TEST(Limits, TricklingTheHeadDoesNotExtendTheHeaderTimeout) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send("POST /orders/c1/events HTTP/1.1\r\nHost: causeway.test\r\nX-Slow: "));
  // A slowloris client: a byte every 200 ms, each one before any per-read timeout could fire.
  auto started = Clock::now();
  bool ended = false;
  while (!ended && Clock::now() - started < 5s) ended = !connection.send("s") || connection.closed_by_peer(200ms);
  EXPECT_TRUE(ended) << "the connection outlived header_timeout (1s) by trickling for 5 s";
}

TEST(Limits, HalfSentBodyIs408AfterBodyTimeout) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(head("Content-Length: 100\r\n") + std::string(50, 'x')));
  expect_rejected(causeway, connection, 408, "request_timeout");
}

TEST(Limits, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(HttpRequest{.method = "POST", .path = "/orders/c1/events", .body = "{}"}));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 202) << response->body;

  auto idle_since = Clock::now();
  EXPECT_TRUE(connection.closed_by_peer(10s));
  EXPECT_GE(Clock::now() - idle_since, 1s) << "closed long before idle_timeout (2s)";
}

TEST(Limits, ExpectContinueGets100ThenTheFinalAnswer) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(head("Content-Length: 7\r\nExpect: 100-continue\r\n")));
  auto interim = connection.read_response(5s);
  ASSERT_TRUE(interim) << "no 100 Continue";
  EXPECT_EQ(interim->status, 100);

  ASSERT_TRUE(connection.send("{\"a\":1}"));
  auto final_answer = connection.read_response(5s);
  ASSERT_TRUE(final_answer);
  EXPECT_EQ(final_answer->status, 202) << final_answer->body;
  auto messages = TopicReader(causeway.broker(), "orders.created").read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].value, "{\"a\":1}");
}

TEST(Limits, ExpectContinueWithBodyOverLimitGets413AndNo100) {
  CausewayProcess causeway(small_limits());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(head("Content-Length: 4096\r\nExpect: 100-continue\r\n")));
  expect_rejected(causeway, connection, 413, "body_too_large");
}

TEST(Limits, ConnectionsOverMaxConnectionsAreClosedAtOnce) {
  TestConfig config;
  config.limits = "{ max_connections: 2 }";
  CausewayProcess causeway(config);
  std::vector<HttpConnection> open;
  for (int i = 0; i < 2; ++i) {
    auto& connection = open.emplace_back(causeway.listener());
    ASSERT_TRUE(connection.send(HttpRequest{.method = "GET", .path = "/nowhere"}));
    ASSERT_TRUE(connection.read_response());  // accepted and counted
  }
  HttpConnection third(causeway.listener());
  third.send(HttpRequest{.method = "GET", .path = "/nowhere"});
  EXPECT_TRUE(third.closed_by_peer(5s));
  EXPECT_EQ(scrape_metrics(causeway.admin()).value("causeway_http_connections_refused_total"), 1);
}

}  // namespace
}  // namespace causeway::testing
