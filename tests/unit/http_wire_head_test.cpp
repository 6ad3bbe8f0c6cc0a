#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>

#include "http/wire_head.h"

namespace causeway::http {
namespace {

namespace bhttp = boost::beast::http;

// What a peer's parser makes of the bytes, if they are one whole message: the written
// head must read back as meant.
template <bool isRequest>
std::optional<bhttp::message<isRequest, bhttp::string_body>> parsed(const std::string& bytes) {
  bhttp::parser<isRequest, bhttp::string_body> parser;
  boost::beast::error_code ec;
  parser.eager(true);
  parser.put(boost::asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message() << " in\n" << bytes;
  if (!parser.is_done()) return std::nullopt;
  return parser.release();
}

TEST(WireHead, ARequestHeadReadsBackAsWritten) {
  std::string buffer;
  WireHead head(buffer);
  head.request_line("POST", "/api", "/orders/c42?x=1");
  head.field("Host", "127.0.0.1:8081");
  head.field("x-tenant", "acme");
  head.content_length(12);
  head.end();
  EXPECT_EQ(buffer,
            "POST /api/orders/c42?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nx-tenant: acme\r\nContent-Length: 12\r\n\r\n");
  auto request = parsed<true>(buffer + "{\"sku\":\"A1\"}");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method_string(), "POST");
  EXPECT_EQ(request->target(), "/api/orders/c42?x=1");
  EXPECT_EQ((*request)["x-tenant"], "acme");
  EXPECT_EQ(request->body(), "{\"sku\":\"A1\"}");
}

TEST(WireHead, AStatusLineTakesTheGivenReasonOrTheUsualOne) {
  std::string buffer;
  WireHead(buffer).status_line(11, 200, "Fine");
  EXPECT_EQ(buffer, "HTTP/1.1 200 Fine\r\n");
  WireHead(buffer).status_line(10, 404);
  EXPECT_EQ(buffer, "HTTP/1.0 404 Not Found\r\n") << "a new head drops the last one";
  WireHead(buffer).status_line(11, 299);
  EXPECT_EQ(buffer, "HTTP/1.1 299 \r\n") << "an unregistered code has an empty reason (RFC 9112 4)";
  WireHead unknown(buffer);
  unknown.status_line(11, 299);
  unknown.content_length(0);
  unknown.end();
  auto response = parsed<false>(buffer);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 299);
}

TEST(WireHead, SaysConnectionOnlyWhereTheVersionsDefaultDiffers) {
  std::string buffer;
  for (unsigned version : {10u, 11u}) {
    for (bool keep : {false, true}) {
      WireHead head(buffer);
      head.keep_alive(version, keep);
      const std::string expected = version == 11 && !keep ? "Connection: close\r\n"
                                   : version == 10 && keep ? "Connection: keep-alive\r\n"
                                                           : "";
      EXPECT_EQ(buffer, expected) << "HTTP/1." << version % 10 << " keep=" << keep;
    }
  }
}

TEST(WireHead, TheBufferKeepsItsMemoryFromHeadToHead) {
  std::string buffer;
  WireHead first(buffer);
  first.request_line("GET", "", "/" + std::string(300, 'a'));
  first.end();
  const auto capacity = buffer.capacity();
  const auto* memory = buffer.data();
  WireHead second(buffer);
  second.request_line("GET", "", "/b");
  second.end();
  EXPECT_EQ(buffer, "GET /b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(buffer.capacity(), capacity);
  EXPECT_EQ(buffer.data(), memory);
}

TEST(ChunkSize, IsTheSizeInHexWithItsLineEnd) {
  EXPECT_EQ(ChunkSize(0).text(), "0\r\n");
  EXPECT_EQ(ChunkSize(10).text(), "a\r\n");
  EXPECT_EQ(ChunkSize(16 * 1024).text(), "4000\r\n");
  EXPECT_EQ(ChunkSize(0xFFFFFFFFFFFFFFFFull).text(), "ffffffffffffffff\r\n");

  // Framed by hand, read back by Beast's parser.
  std::string body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::string piece : {std::string(26, 'x'), std::string("yz")}) {
    body.append(ChunkSize(piece.size()).text()).append(piece).append(kChunkEnd);
  }
  body.append(kLastChunk);
  auto response = parsed<false>(body);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), std::string(26, 'x') + "yz");
}

}  // namespace
}  // namespace causeway::http
