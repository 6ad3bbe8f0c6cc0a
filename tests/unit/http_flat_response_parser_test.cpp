#include "http/flat_response_parser.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace causeway::http {
namespace {

namespace bhttp = boost::beast::http;

// Puts `wire` into the parser until it is all taken or the parser stops: what was taken, and why it stopped.
std::pair<std::size_t, boost::beast::error_code> feed(FlatResponseParser& parser, std::string_view wire) {
  std::size_t taken = 0;
  boost::beast::error_code ec;
  while (taken < wire.size() && !parser.is_done()) {
    const auto used = parser.put(boost::asio::buffer(wire.data() + taken, wire.size() - taken), ec);
    taken += used;
    if (ec || used == 0) break;
  }
  return {taken, ec};
}

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields listed(const FlatFields& fields) {
  Fields out;
  for (auto&& field : fields) out.emplace_back(field.name_string(), field.value());
  return out;
}

// A body window as the forwarder opens one, and what the parser has put into it.
template <std::size_t N>
struct Window {
  std::array<char, N> bytes{};
  void open(FlatResponseParser& parser) { parser.open_window(bytes.data(), N); }
  std::string_view filled(const FlatResponseParser& parser) const { return {bytes.data(), N - parser.window_left()}; }
};

TEST(FlatResponseParserTest, TheHeadKeepsStatusReasonAndEveryFieldInOrderAsReceived) {
  FlatFields fields;
  FlatResponseParser parser(fields);
  Window<16> body;
  body.open(parser);
  auto [taken, ec] = feed(parser, "HTTP/1.1 201 Created\r\nServer: nginx\r\nX-Order-Id: c42\r\nSet-Cookie: a=1\r\n"
                                  "set-cookie: b=2\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.status(), 201);
  EXPECT_EQ(parser.reason(), "Created");
  EXPECT_EQ(parser.version(), 11u);
  EXPECT_EQ(listed(fields), (Fields{{"Server", "nginx"}, {"X-Order-Id", "c42"}, {"Set-Cookie", "a=1"},
                                    {"set-cookie", "b=2"}, {"Content-Length", "5"}}));
  EXPECT_EQ(fields.at(0).name(), bhttp::field::server);
  EXPECT_EQ(fields.at(1).name(), bhttp::field::unknown);
  EXPECT_EQ(fields.at(3).name(), bhttp::field::set_cookie);
  EXPECT_EQ(parser.content_length().value_or(0), 5u);
  EXPECT_EQ(body.filled(parser), "hello");
}

TEST(FlatResponseParserTest, ABodyStopsWithNeedBufferWhenTheWindowIsFullAndGoesOnInTheNext) {
  FlatFields fields;
  FlatResponseParser parser(fields);
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  Window<4> window;
  window.open(parser);
  auto [taken, ec] = feed(parser, wire);
  EXPECT_EQ(ec, bhttp::error::need_buffer);
  EXPECT_EQ(parser.window_left(), 0u);
  EXPECT_EQ(window.filled(parser), "0123");
  EXPECT_FALSE(parser.is_done());

  Window<16> rest;
  rest.open(parser);
  auto [more, more_ec] = feed(parser, std::string_view(wire).substr(taken));
  ASSERT_FALSE(more_ec) << more_ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(rest.filled(parser), "456789");
}

TEST(FlatResponseParserTest, AChunkedBodyIsUnframedAndItsTrailerIsNotKeptWithTheHead) {
  FlatFields fields;
  FlatResponseParser parser(fields);
  Window<32> body;
  body.open(parser);
  auto [taken, ec] = feed(parser, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                                  "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 99\r\n\r\n");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_TRUE(parser.chunked());
  EXPECT_EQ(body.filled(parser), "hello world");
  EXPECT_EQ(listed(fields), (Fields{{"Transfer-Encoding", "chunked"}, {"Trailer", "X-Checksum"}}));
}

TEST(FlatResponseParserTest, ANewParserClearsTheFieldsItIsGivenSoThatAConnectionReusesThem) {
  FlatFields fields;
  {
    FlatResponseParser first(fields);
    first.skip(true);  // a HEAD's answer: the length describes a body that is not sent
    auto [taken, ec] = feed(first, "HTTP/1.1 503 Service Temporarily Unavailable\r\nRetry-After: 5\r\n"
                                   "Content-Length: 100\r\n\r\n");
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(first.is_done());
    EXPECT_EQ(first.reason(), "Service Temporarily Unavailable");
  }
  FlatResponseParser second(fields);
  EXPECT_EQ(fields.size(), 0u);
  EXPECT_EQ(second.reason(), "");
  auto [taken, ec] = feed(second, "HTTP/1.0 204 \r\nX-Second: yes\r\n\r\n");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(second.status(), 204);
  EXPECT_EQ(second.version(), 10u);
  EXPECT_EQ(second.reason(), "");
  EXPECT_EQ(listed(fields), (Fields{{"X-Second", "yes"}}));
  EXPECT_FALSE(second.keep_alive());  // HTTP/1.0 without keep-alive
}

TEST(FlatResponseParserTest, AHeadOverTheLimitIsRefused) {
  FlatFields fields;
  FlatResponseParser parser(fields);
  parser.header_limit(64);
  auto [taken, ec] = feed(parser, "HTTP/1.1 200 OK\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n");
  EXPECT_EQ(ec, bhttp::error::header_limit);
}

}  // namespace
}  // namespace causeway::http
