// Requests whose framing is ambiguous or whose bytes are not HTTP: 400, the
// connection closed, nothing produced. Ambiguous framing is how requests get smuggled
// past a proxy, so each case must be refused, not guessed at.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "harness_forward.h"

namespace causeway::testing {
namespace {

using namespace std::string_literals;  // "\0" inside a literal

struct Malformed {
  std::string name;
  std::string request;
};

void PrintTo(const Malformed& malformed, std::ostream* out) { *out << malformed.name; }

const std::string kHead = "POST /orders/c1/events HTTP/1.1\r\nHost: causeway.test\r\n";

const std::vector<Malformed> kMalformed = {
    {"ContentLengthThenTransferEncoding",
     kHead + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
    {"TransferEncodingThenContentLength",
     kHead + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
    {"DuplicateContentLength", kHead + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
    {"ContentLengthList", kHead + "Content-Length: 5, 5\r\n\r\nhello"},
    {"ContentLengthNotANumber", kHead + "Content-Length: five\r\n\r\nhello"},
    {"TransferEncodingGzip", kHead + "Transfer-Encoding: gzip\r\n\r\nhello"},
    {"TransferEncodingGzipChunked", kHead + "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
    {"ControlCharacterInValue", kHead + "X-Tenant: a\x01z\r\nContent-Length: 5\r\n\r\nhello"},
    {"SpaceInName", kHead + "X Tenant: acme\r\nContent-Length: 5\r\n\r\nhello"},
    {"SpaceBeforeColon", kHead + "Content-Length : 5\r\n\r\nhello"},
    {"BadChunkSize", kHead + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
    // Spellings where two HTTP parsers may disagree on where the body ends (smuggling).
    {"ChunkedTwice", kHead + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
    {"UnknownCodingNamedLikeChunked", kHead + "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
    {"ChunkSizeWithHexPrefix", kHead + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"},
    {"NegativeChunkSize", kHead + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"},
    {"ChunkSizeOverflowing64Bits",
     kHead + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"},
    {"ChunkDataLongerThanItsSize", kHead + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"},
    {"ContentLengthWithPlus", kHead + "Content-Length: +5\r\n\r\nhello"},
    {"HeaderWithoutColon", kHead + "X-Tenant acme\r\nContent-Length: 5\r\n\r\nhello"},
    // (A folded line in another field is unfolded to one space, as RFC 9112 section 5.2
    // allows: its value is then one the service sees the same way.)
    {"NulInValue", kHead + "X-Tenant: a\0z\r\nContent-Length: 5\r\n\r\nhello"s},
    {"BareCarriageReturnInValue", kHead + "X-Tenant: a\rz\r\nContent-Length: 5\r\n\r\nhello"},
    {"TransferEncodingInHttp10",
     "POST /orders/c1/events HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
    {"NoHostInHttp11", "POST /orders/c1/events HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"},
    {"TwoHosts", kHead + "Host: other.test\r\nContent-Length: 5\r\n\r\nhello"},
    // RFC 9112 section 3.2: a Host with an invalid value MUST get 400.
    {"HostWithSpace", "POST /orders/c1/events HTTP/1.1\r\nHost: causeway test\r\nContent-Length: 5\r\n\r\nhello"},
    // The same, reached by folding: a proxy in front that does not unfold sees a Transfer-Encoding here.
    {"TransferEncodingFoldedIntoHost",
     "POST /orders/c1/events HTTP/1.1\r\nHost: causeway.test\r\n Transfer-Encoding: chunked\r\nContent-Length: "
     "5\r\n\r\nhello"},
};

class Framing : public ::testing::TestWithParam<Malformed> {};

TEST_P(Framing, RejectedWith400AndTheConnectionClosed) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(GetParam().request));

  auto response = connection.read_response(5s);
  ASSERT_TRUE(response) << "no response; log:\n" << causeway.log();
  EXPECT_EQ(response->status, 400) << response->body;
  EXPECT_EQ(response->error(), "bad_request") << response->body;
  EXPECT_TRUE(connection.closed_by_peer(5s)) << "Causeway kept the connection open";

  // A good request after it is the only thing on the topic.
  auto good = http(causeway.listener(), "POST", "/orders/marker/events", {}, "good");
  ASSERT_EQ(good.status, 202) << good.body;
  auto messages = TopicReader(causeway.broker(), "orders.created").read(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].key, "marker");

  auto metrics = scrape_metrics(causeway.admin());
  EXPECT_EQ(metrics.value("causeway_http_protocol_errors_total", {{"listener", "public"}, {"code", "400"}}), 1)
      << metrics.text();
}

INSTANTIATE_TEST_SUITE_P(Malformed, Framing, ::testing::ValuesIn(kMalformed),
                         [](const auto& info) { return info.param.name; });

// The same corpus and a few more, on a forward route: a proxy that guessed at framing
// would pass the smuggled part on to the service. Nothing may reach it: the raw
// service behind counts the connections made to it, and sees only the good request after.
const std::vector<Malformed> kForwardOnly = {
    {"ChunkExtensionOverTheHeadLimit",
     kHead + "Transfer-Encoding: chunked\r\n\r\n5;ext=" + std::string(200 * 1024, 'x') + "\r\nhello\r\n0\r\n\r\n"},
    {"RequestSmuggledBehindConflictingFraming",
     kHead + "Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
         "GET /orders/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"},
    {"PipelinedRequestAfterARejectedOne",
     kHead + "Content-Length: 5, 5\r\n\r\nhelloGET /orders/pipelined HTTP/1.1\r\nHost: causeway.test\r\n\r\n"},
    {"ObsFoldedTransferEncoding",
     kHead + "X-Note: a\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\nhello"},
};

std::vector<Malformed> forward_corpus() {
  auto corpus = kMalformed;
  corpus.insert(corpus.end(), kForwardOnly.begin(), kForwardOnly.end());
  return corpus;
}

class ForwardFraming : public ::testing::TestWithParam<Malformed> {};

TEST_P(ForwardFraming, RejectedWith400AndNothingReachesTheService) {
  std::mutex mutex;
  std::vector<std::string> seen;  // request targets, in order
  RawService service([&](RawSocket& socket) {
    while (auto head = read_request_head(socket)) {
      if (!read_request_body(socket, *head)) return;
      {
        std::lock_guard lock(mutex);
        seen.push_back(head->target);
      }
      if (!socket.send(response_head(200, {{"Content-Length", "2"}}) + "ok")) return;
    }
  });
  CausewayProcess causeway(
      ForwardConfig{.backend_url = service.url(), .routes = forward_route("orders", "/orders/{rest=**}")}.yaml());
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(GetParam().request));

  auto response = connection.read_response(5s);
  ASSERT_TRUE(response) << "no response; log:\n" << causeway.log();
  EXPECT_EQ(response->status, 400) << response->body;
  EXPECT_TRUE(connection.closed_by_peer(5s)) << "Causeway kept the connection open";
  EXPECT_EQ(service.connections_accepted(), 0u) << "bytes of a request refused as 400 were sent to the service";

  auto good = http(causeway.listener(), "GET", "/orders/marker");
  EXPECT_EQ(good.status, 200) << good.body;
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, std::vector<std::string>{"/orders/marker"});
}

INSTANTIATE_TEST_SUITE_P(Smuggling, ForwardFraming, ::testing::ValuesIn(forward_corpus()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace causeway::testing
