// The edge under hostile heads and bodies: oversized trailer fields, heads split over
// many fields and reads, endless chunk extensions, request lines over the limit, and
// early answers that a client still sending its body must be able to read. Each one is
// answered with its status, the process lives on, and the next request is served.
#include <gtest/gtest.h>
#include <signal.h>

#include "harness_forward.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

const std::string kChunkedHead =
    "POST /orders/c1/events HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

void expect_alive(CausewayProcess& causeway, const std::string& path = "/orders/c2/events", int status = 202) {
  auto response = http(causeway.listener(), "POST", path, {}, "{}");
  EXPECT_EQ(response.status, status) << response.body << "\nlog:\n" << causeway.log();
}

// What the client got for what it sent, read before the connection closes.
std::optional<HttpResponse> answer_to(CausewayProcess& causeway, const std::string& bytes) {
  HttpConnection connection(causeway.listener());
  connection.send(bytes);
  return connection.read_response(10s);
}

TEST(EdgeLimits, TrailerFieldOf65534BytesIs431AndTheProcessLives) {
  CausewayProcess causeway;
  for (const auto& trailer : {"X-T: " + std::string(65534, 'y'), std::string(65534, 'n') + ": v"}) {
    auto response = answer_to(causeway, kChunkedHead + "5\r\nhello\r\n0\r\n" + trailer + "\r\n\r\n");
    ASSERT_TRUE(response) << causeway.log();
    EXPECT_EQ(response->status, 431) << response->body;
    EXPECT_EQ(response->error(), "headers_too_large");
  }
  expect_alive(causeway);
}

TEST(EdgeLimits, HeaderOf65534BytesUnderA1MiBLimitIs431NotACrash) {
  TestConfig config;
  config.limits = "{ max_header_bytes: 1MiB }";
  CausewayProcess causeway(config);
  auto response = answer_to(causeway, "POST /orders/c1/events HTTP/1.1\r\nHost: a\r\nX-Big: " +
                                          std::string(65534, 'b') + "\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(response) << causeway.log();
  EXPECT_EQ(response->status, 431) << response->body;
  // Big, but within what one field can hold: served.
  response = answer_to(causeway, "POST /orders/c1/events HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(60000, 'b') +
                                     "\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(response) << causeway.log();
  EXPECT_EQ(response->status, 202) << response->body;
}

TEST(EdgeLimits, TheHeaderLimitCountsTheWholeHeadHoweverItIsSplit) {
  CausewayProcess causeway;  // max_header_bytes 64KiB
  struct Split {
    int fields;
    std::size_t bytes;
  };
  for (auto [fields, bytes] : {Split{70, 1000}, Split{80, 1000}, Split{20, 3300}}) {
    SCOPED_TRACE(std::to_string(fields) + " fields of " + std::to_string(bytes));
    HttpConnection connection(causeway.listener());
    ASSERT_TRUE(connection.send("POST /orders/c1/events HTTP/1.1\r\nHost: a\r\n"));
    // One field a write, so the head arrives in many reads.
    for (int i = 0; i < fields; ++i) {
      if (!connection.send("X-F" + std::to_string(i) + ": " + std::string(bytes, 'v') + "\r\n")) break;
    }
    connection.send("Content-Length: 2\r\n\r\n{}");
    auto response = connection.read_response(10s);
    ASSERT_TRUE(response) << causeway.log();
    EXPECT_EQ(response->status, 431) << response->body;
  }
  // 60 fields of 1,000 bytes (about 61 KB) fit.
  std::string fields;
  for (int i = 0; i < 60; ++i) fields += "X-F" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
  auto response = answer_to(causeway, "POST /orders/c1/events HTTP/1.1\r\nHost: a\r\n" + fields +
                                          "Content-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 202) << response->body;
}

TEST(EdgeLimits, TrailerFieldsCountAgainstTheHeaderLimits) {
  CausewayProcess causeway;
  std::string many;  // 150 small trailer fields: more than max_headers (100)
  for (int i = 0; i < 150; ++i) many += "X-T" + std::to_string(i) + ": v\r\n";
  auto response = answer_to(causeway, kChunkedHead + "5\r\nhello\r\n0\r\n" + many + "\r\n");
  ASSERT_TRUE(response) << causeway.log();
  EXPECT_EQ(response->status, 431) << response->body;

  std::string large;  // 3 fields of 30,000 bytes: over 64 KiB together
  for (int i = 0; i < 3; ++i) large += "X-T" + std::to_string(i) + ": " + std::string(30000, 'v') + "\r\n";
  response = answer_to(causeway, kChunkedHead + "5\r\nhello\r\n0\r\n" + large + "\r\n");
  ASSERT_TRUE(response) << causeway.log();
  EXPECT_EQ(response->status, 431) << response->body;
  expect_alive(causeway);
}

TEST(EdgeLimits, AnEndlessChunkExtensionIs400BeforeItIsHeld) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(kChunkedHead + "5;ext="));
  // 32 MiB of extension, sent until Causeway stops reading it.
  const std::string piece(64 * 1024, 'e');
  for (int i = 0; i < 512; ++i) {
    if (!connection.send(piece)) break;
  }
  auto response = connection.read_response(10s);
  ASSERT_TRUE(response) << causeway.log();
  EXPECT_EQ(response->status, 400) << response->body;
  expect_alive(causeway);
}

TEST(EdgeLimits, ARequestLineOverTheHeaderLimitIs414) {
  TestConfig config;
  config.limits = "{ max_header_bytes: 2KiB }";
  CausewayProcess causeway(config);
  auto response = answer_to(causeway, "GET /orders/" + std::string(4000, 'x') + " HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(response) << causeway.log();
  EXPECT_EQ(response->status, 414) << response->body;
  EXPECT_EQ(response->error(), "uri_too_long");
}

// Python's http.client and many SDKs send the whole body before reading: the 413 must
// still be readable, not lost under a connection reset.
TEST(EdgeLimits, An413SentBeforeTheBodyIsReadableByAClientStillSending) {
  CausewayProcess causeway;  // max_body 1MiB
  for (std::size_t size : {2u << 20, 8u << 20}) {
    SCOPED_TRACE(size);
    HttpConnection connection(causeway.listener());
    std::string request = "POST /orders/c1/events HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(size) +
                          "\r\n\r\n" + std::string(size, 'x');
    connection.send(request);
    auto response = connection.read_response(10s);
    ASSERT_TRUE(response) << "no answer: the connection was reset under it";
    EXPECT_EQ(response->status, 413) << response->body;
  }
}

TEST(EdgeLimits, AForwardRouteAnswersOversizedTrailersWith431AndLives) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.status = 200, .body = "ok"}; });
  CausewayProcess causeway(ForwardConfig{.backend_url = service.url(), .routes = forward_route("api", "/api/{rest=**}")}
                               .yaml());
  const std::string head = "POST /api/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto response = answer_to(causeway, head + "5\r\nhello\r\n0\r\nX-T: " + std::string(65534, 'y') + "\r\n\r\n");
  ASSERT_TRUE(response) << causeway.log();
  EXPECT_EQ(response->status, 431) << response->body;
  auto ok = http(causeway.listener(), "GET", "/api/y");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

}  // namespace
}  // namespace causeway::testing
