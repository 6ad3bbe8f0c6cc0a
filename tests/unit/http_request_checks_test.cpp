#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>

#include "http/request_checks.h"

namespace causeway::http {
namespace {

namespace bhttp = boost::beast::http;

struct Parsed {
  boost::beast::error_code parse_error;
  std::optional<Rejection> rejection;
};

// Parses a request head the way the listener does, then applies our checks.
Parsed check(std::string_view text, config::HttpLimits limits = {}) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(false);
  Parsed parsed;
  parser.put(boost::asio::buffer(text.data(), text.size()), parsed.parse_error);
  if (!parsed.parse_error && parser.is_header_done()) parsed.rejection = check_request_head(parser.get().base(), limits);
  return parsed;
}

std::string rejection_of(std::string_view text, config::HttpLimits limits = {}) {
  auto parsed = check(text, limits);
  if (parsed.parse_error) return "parser: " + parsed.parse_error.message();
  if (!parsed.rejection) return "ok";
  return std::to_string(bridge::status_of(parsed.rejection->failure)) + " " + parsed.rejection->message;
}

TEST(RequestChecks, PlainRequestsPass) {
  EXPECT_EQ(rejection_of("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"), "ok");
  EXPECT_EQ(rejection_of("POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), "ok");
  EXPECT_EQ(rejection_of("GET / HTTP/1.0\r\n\r\n"), "ok");  // HTTP/1.0 needs no Host
}

TEST(RequestChecks, SmugglingShapesAreRejected) {
  EXPECT_EQ(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"),
            "400 more than one Content-Length");
  EXPECT_EQ(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n"),
            "400 more than one Content-Length");
  EXPECT_EQ(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n"),
            "400 both Content-Length and Transfer-Encoding");
  EXPECT_EQ(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            "400 unsupported Transfer-Encoding 'gzip, chunked'");
  EXPECT_EQ(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
            "400 unsupported Transfer-Encoding 'gzip'");
  EXPECT_EQ(rejection_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "400 Transfer-Encoding in an HTTP/1.0 request");
  // Beast itself refuses these orders of CL and TE before our checks run.
  EXPECT_NE(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"), "ok");
  EXPECT_NE(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"), "ok");
  EXPECT_NE(rejection_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"), "ok");
}

TEST(RequestChecks, HostAndTarget) {
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\n\r\n"), "400 missing Host header");
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "400 more than one Host header");
  EXPECT_EQ(rejection_of("GET http://x/a?b HTTP/1.1\r\nHost: x\r\n\r\n"), "ok");  // absolute form
  EXPECT_EQ(rejection_of("GET HTTP://x HTTP/1.1\r\nHost: x\r\n\r\n"), "ok");
  EXPECT_EQ(rejection_of("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
            "400 the request target must be a path, or an absolute http(s) URL");
  EXPECT_EQ(rejection_of("GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            "400 the request target must be a path, or an absolute http(s) URL");
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\nHost: causeway test\r\n\r\n"), "400 invalid Host header");
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\nHost: a.b\r\n Transfer-Encoding: chunked\r\n\r\n"),
            "400 invalid Host header");
}

TEST(RequestChecks, AuthorityOfAnAbsoluteFormTarget) {
  EXPECT_EQ(target_authority("/a?b"), "");
  EXPECT_EQ(target_authority("http://h/a"), "h");
  EXPECT_EQ(target_authority("HTTPS://h:8443?q"), "h:8443");
  EXPECT_EQ(target_authority("http://user:pw@h:80/a@b"), "h:80");
  EXPECT_EQ(target_authority("http://[::1]:9/"), "[::1]:9");
  EXPECT_EQ(target_authority("http:///a"), "");
  EXPECT_EQ(rejection_of("GET http:///a HTTP/1.1\r\nHost: x\r\n\r\n"), "400 the request target's authority is not a valid host");
  EXPECT_EQ(rejection_of("GET http://x:y/a HTTP/1.1\r\nHost: x\r\n\r\n"), "400 the request target's authority is not a valid host");
  EXPECT_EQ(rejection_of("GET http://u@x:1/a HTTP/1.1\r\nHost: x\r\n\r\n"), "ok");
}

TEST(RequestChecks, OriginFormAndHosts) {
  EXPECT_EQ(origin_form("/a?b"), "/a?b");
  EXPECT_EQ(origin_form("http://h:80/a?b"), "/a?b");
  EXPECT_EQ(origin_form("https://h"), "/");
  EXPECT_EQ(origin_form("http://h?q"), "");
  for (std::string_view good : {"x", "a.b:8080", "127.0.0.1", "[::1]", "[::1]:80", "xn--d1a.example", "a_b",
                                "A-z~0!$&'()*+,;=%41", "h:"}) {
    EXPECT_TRUE(valid_host(good)) << good;
  }
  for (std::string_view bad : {"", "a b", "a:b", "[::1", "[::1]x", "a/b", "a\tb", "a@b:1:2", "caf\xc3\xa9", "a\x7f", "a:8x"}) {
    EXPECT_FALSE(valid_host(bad)) << bad;
  }
}

// A target of exactly "Http://": Beast's iequals read the byte after it (found by
// http_request_fuzz under ASan), so the target sits alone in its allocation here.
TEST(RequestChecks, AnAbsoluteTargetOfOnlyTheSchemeIsReadWithinItself) {
  for (std::string_view scheme : {"Http://", "HTTPS://"}) {
    const auto bytes = std::make_unique<char[]>(scheme.size());
    std::copy(scheme.begin(), scheme.end(), bytes.get());
    EXPECT_EQ(origin_form(std::string_view(bytes.get(), scheme.size())), "/");
  }
  // The parser keeps the target in an allocation of its own size too; read within it,
  // an absolute target without an authority is refused (request_checks.h).
  EXPECT_EQ(rejection_of("GET Http:// HTTP/1.1\r\nHost: a\r\n\r\n"), "400 the request target's authority is not a valid host");
}

TEST(RequestChecks, FieldCountLimit) {
  config::HttpLimits limits;
  limits.max_headers = 3;
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", limits), "ok");
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits),
            "431 more than 3 header fields");
}

TEST(RequestChecks, ParserRefusesBadBytesAndOversizeHeads) {
  EXPECT_NE(rejection_of("GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n").substr(0, 7), "ok");
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\nHost: x\r\nA: 1\x01\r\n\r\n").substr(0, 7), "parser:");
  config::HttpLimits limits;
  limits.max_header_bytes = 64;
  EXPECT_EQ(rejection_of("GET / HTTP/1.1\r\nHost: x\r\nA: " + std::string(100, 'a') + "\r\n\r\n", limits),
            "parser: header limit exceeded");
}

}  // namespace
}  // namespace causeway::http
