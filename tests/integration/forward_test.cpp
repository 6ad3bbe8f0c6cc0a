// Forward routes: HTTP requests streamed to an upstream and back. Each test looks at
// both ends: what the client got and what the service saw, byte for byte where the
// framing matters, plus the metrics.
#include <gtest/gtest.h>

#include <iostream>
#include <regex>

#include "harness_delivery.h"
#include "harness_forward.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

double requests_total(const Address& admin, const std::string& route, int code) {
  return metric_now(admin, "causeway_requests_total", {{"route", route}, {"code", std::to_string(code)}});
}

double upstream_total(const Address& admin, const std::string& code) {
  return metric_now(admin, "causeway_upstream_requests_total", {{"upstream", "backend"}, {"code", code}});
}

std::size_t count_header(const ServiceRequest& request, const std::string& name) {
  return std::count_if(request.headers.begin(), request.headers.end(), [&](const auto& h) { return h.first == name; });
}

// Route "api": /api/... on "public" -> the service, path as it came.
std::string api_config(const std::string& url) {
  return ForwardConfig{.backend_url = url, .routes = forward_route("api", "/api/{rest=**}")}.yaml();
}

// Takes the next response head off the socket's buffer ("" when none came in time).
std::string next_head(RawSocket& socket, Duration timeout = 5s) {
  std::size_t end = std::string::npos;
  if (!socket.receive_until([&](const std::string& got) { return (end = got.find("\r\n\r\n")) != std::string::npos; },
                            timeout)) {
    return "";
  }
  std::string head = socket.buffer().substr(0, end + 4);
  socket.buffer().erase(0, end + 4);
  return head;
}

// A body of `size` bytes in which every position can be told from its neighbours.
std::string patterned(std::size_t size, char salt) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + (i * 7 + salt + i / 4093) % 26);
  return body;
}

TEST(Forward, RoundTripsCarryStatusHeadersAndBodiesBothWays) {
  ScriptedService service([](const ServiceRequest& request) {
    const int status = request.method == "GET" ? 200 : request.method == "POST" ? 201 : 409;
    return ServiceAnswer{.status = status,
                         .body = request.method + " " + request.target + " <" + request.body + ">",
                         .headers = {{"Content-Type", "text/plain"}, {"X-Answer", "for-" + request.method}}};
  });
  CausewayProcess causeway(api_config(service.url()));

  for (std::string method : {"GET", "POST", "PUT"}) {
    SCOPED_TRACE(method);
    const std::string body = method == "GET" ? "" : R"({"sent-with":")" + method + "\"}";
    Headers headers{{"X-Request", "r-" + method}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    auto response = http(causeway.listener(), method, "/api/orders/7", headers, body);

    EXPECT_EQ(response.status, method == "GET" ? 200 : method == "POST" ? 201 : 409);
    EXPECT_EQ(response.body, method + " /api/orders/7 <" + body + ">");
    EXPECT_EQ(response.header("x-answer"), "for-" + method);
    EXPECT_EQ(response.header("content-type"), "text/plain");

    const auto seen = service.requests().back();
    EXPECT_EQ(seen.method, method);
    EXPECT_EQ(seen.target, "/api/orders/7");
    EXPECT_EQ(seen.body, body);
    EXPECT_EQ(seen.header("x-request"), "r-" + method);
    if (!body.empty()) {
      EXPECT_EQ(seen.header("content-type"), "application/json");
      EXPECT_EQ(seen.header("content-length"), std::to_string(body.size()));
    }
  }
  EXPECT_EQ(service.request_count(), 3u);
  const auto admin = causeway.admin();
  for (int code : {200, 201, 409}) {
    EXPECT_EQ(requests_total(admin, "api", code), 1) << code;
    EXPECT_EQ(upstream_total(admin, std::to_string(code)), 1) << code;
  }
}

TEST(Forward, PathTemplatesRewriteThePathKeepEscapesAndTheQuery) {
  ScriptedService service;
  CausewayProcess causeway(
      ForwardConfig{.backend_url = service.url(),
                    .routes = forward_route("rewrite", "/api/{rest=**}", ", path: \"/v2/{rest}\"") +
                              forward_route("item", "/items/{id}", ", path: \"/v1/items/{id}/detail\"") +
                              forward_route("plain", "/plain/{rest=**}")}
          .yaml());

  // request target -> what the service must see
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/a/b?x=1&y=two%20words", "/v2/a/b?x=1&y=two%20words"},
      {"/api/a%2Fb/c", "/v2/a%2Fb/c"},                          // %2F stays data
      {"/api/a%2F..%2F..%2Fadmin", "/v2/a%2F..%2F..%2Fadmin"},  // no traversal through %2F
      {"/api/x/../y", "/v2/y"},                                 // resolved before matching
      {"/api/caf%C3%A9", "/v2/caf%C3%A9"},
      {"/api", "/v2/"},                                              // an empty rest
      {"/items/a%2F..%2Fadmin", "/v1/items/a%2F..%2Fadmin/detail"},  // one segment, whatever it holds
      {"/items/..%2F..%2Fetc", "/v1/items/..%2F..%2Fetc/detail"},
      {"/items/with%20space?q=1", "/v1/items/with%20space/detail?q=1"},
      {"/plain/./x/../y?q=%2F&r", "/plain/y?q=%2F&r"},  // no template: the normalized path
  };
  for (const auto& [target, expected] : cases) {
    auto response = http(causeway.listener(), "GET", target);
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
    ASSERT_FALSE(service.requests().empty());
    EXPECT_EQ(service.requests().back().target, expected) << "for " << target;
  }
  EXPECT_EQ(service.request_count(), cases.size());
}

TEST(Forward, HopByHopHeadersAreDroppedBothWays) {
  ScriptedService service([](const ServiceRequest&) {
    return ServiceAnswer{.body = "ok",
                         .headers = {{"Connection", "X-Resp-Hop"},
                                     {"X-Resp-Hop", "secret"},
                                     {"Keep-Alive", "timeout=5"},
                                     {"Proxy-Authenticate", "Basic realm=x"},
                                     {"Proxy-Connection", "keep-alive"},
                                     {"Trailer", "X-Sum"},
                                     {"Upgrade", "h2c"},
                                     {"X-End-To-End", "back"}}};
  });
  CausewayProcess causeway(api_config(service.url()));

  HttpConnection client(causeway.listener());
  HttpRequest request{.path = "/api/hops",
                      .headers = {{"Connection", "keep-alive, X-Hop-Custom"},
                                  {"X-Hop-Custom", "secret"},
                                  {"Keep-Alive", "timeout=5"},
                                  {"TE", "trailers"},
                                  {"Trailer", "X-Checksum"},
                                  {"Upgrade", "h2c"},
                                  {"Proxy-Authorization", "Basic YTpi"},
                                  {"Proxy-Connection", "keep-alive"},
                                  {"X-End-To-End", "kept"}}};
  ASSERT_TRUE(client.send(request));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
  EXPECT_EQ(response->header("x-end-to-end"), "back");
  for (const char* name :
       {"x-resp-hop", "keep-alive", "proxy-authenticate", "proxy-connection", "trailer", "upgrade"}) {
    EXPECT_FALSE(response->header(name)) << name << ": " << *response->header(name);
  }
  EXPECT_EQ(response->header("connection").value_or("").find("X-Resp-Hop"), std::string::npos);

  ASSERT_EQ(service.request_count(), 1u);
  const auto seen = service.requests().front();
  EXPECT_EQ(seen.header("x-end-to-end"), "kept");
  for (const char* name :
       {"x-hop-custom", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization", "proxy-connection"}) {
    EXPECT_FALSE(seen.header(name)) << name << ": " << *seen.header(name);
  }
  EXPECT_EQ(seen.header("connection").value_or("").find("X-Hop-Custom"), std::string::npos);

  // The client's connection is still good: nothing of the hop headers confused it.
  ASSERT_TRUE(client.send(HttpRequest{.path = "/api/again"}));
  auto again = client.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST(Forward, XForwardedHeadersAreSetAndClientSentOnesReplaced) {
  ScriptedService service;
  CausewayProcess causeway(api_config(service.url()));

  auto spoofed = http(causeway.listener(), "GET", "/api/who",
                      {{"Host", "shop.example:8443"},
                       {"X-Forwarded-For", "203.0.113.9"},
                       {"X-Forwarded-Proto", "https"},
                       {"X-Forwarded-Host", "evil.example"}});
  EXPECT_EQ(spoofed.status, 200);
  auto plain = http(causeway.listener(), "GET", "/api/who", {{"Host", "shop.example"}});
  EXPECT_EQ(plain.status, 200);

  ASSERT_EQ(service.request_count(), 2u);
  const auto requests = service.requests();
  const std::vector<std::string> hosts = {"shop.example:8443", "shop.example"};
  for (std::size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const auto& seen = requests[i];
    for (const char* name : {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "host"}) {
      EXPECT_EQ(count_header(seen, name), 1u) << name;
    }
    EXPECT_EQ(seen.header("x-forwarded-for"), "127.0.0.1");
    EXPECT_EQ(seen.header("x-forwarded-proto"), "http");
    EXPECT_EQ(seen.header("x-forwarded-host"), hosts[i]);
    EXPECT_EQ(seen.header("host"), "127.0.0.1:" + std::to_string(service.port()));
  }
}

// RFC 9112 3.2.2: with an absolute-form target the target's authority is the host the
// client asked for, whatever Host says; userinfo is never passed on.
TEST(Forward, XForwardedHostOfAnAbsoluteFormTargetIsItsAuthority) {
  ScriptedService service;
  CausewayProcess causeway(api_config(service.url()));

  EXPECT_EQ(http(causeway.listener(), "GET", "http://other.example/api/who", {{"Host", "shop.example"}}).status, 200);
  EXPECT_EQ(http(causeway.listener(), "GET", "HTTP://user:secret@Other.example:8080/api/who?x=1",
                 {{"Host", "shop.example"}}).status, 200);
  EXPECT_EQ(http(causeway.listener(), "GET", "http://[::1]:8443/api/who", {{"Host", "shop.example"}}).status, 200);
  auto empty = http(causeway.listener(), "GET", "http:///api/who", {{"Host", "shop.example"}});
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.json().at("message").as_string(), "the request target's authority is not a valid host");
  auto bad_port = http(causeway.listener(), "GET", "http://other.example:http/api/who", {{"Host", "shop.example"}});
  EXPECT_EQ(bad_port.status, 400) << bad_port.body;

  ASSERT_EQ(service.request_count(), 3u);
  const auto requests = service.requests();
  EXPECT_EQ(requests[0].header("x-forwarded-host"), "other.example");
  EXPECT_EQ(requests[1].header("x-forwarded-host"), "Other.example:8080");
  EXPECT_EQ(requests[2].header("x-forwarded-host"), "[::1]:8443");
  EXPECT_EQ(requests[1].target, "/api/who?x=1");
  for (const auto& seen : requests) EXPECT_EQ(count_header(seen, "x-forwarded-host"), 1u);
}

TEST(Forward, TraceparentIsContinuedWithTheSameTraceAndANewSpan) {
  ScriptedService service;
  CausewayProcess causeway(api_config(service.url()));
  const std::regex traceparent("^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$");

  http(causeway.listener(), "GET", "/api/t",
       {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        {"tracestate", "congo=t61rcWkgMzE"}});
  http(causeway.listener(), "GET", "/api/t");
  http(causeway.listener(), "GET", "/api/t");
  ASSERT_EQ(service.request_count(), 3u);
  const auto requests = service.requests();

  std::smatch continued;
  const std::string sent = requests[0].header("traceparent").value_or("");
  ASSERT_TRUE(std::regex_match(sent, continued, traceparent)) << sent;
  EXPECT_EQ(continued[1], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_NE(continued[2], "b7ad6b7169203331");
  EXPECT_EQ(continued[3], "01");
  EXPECT_EQ(requests[0].header("tracestate"), "congo=t61rcWkgMzE");
  EXPECT_EQ(count_header(requests[0], "traceparent"), 1u);

  // Without one, each request starts a trace of its own.
  std::smatch first, second;
  const std::string a = requests[1].header("traceparent").value_or("");
  const std::string b = requests[2].header("traceparent").value_or("");
  ASSERT_TRUE(std::regex_match(a, first, traceparent)) << a;
  ASSERT_TRUE(std::regex_match(b, second, traceparent)) << b;
  EXPECT_NE(first[1], second[1]);
}

TEST(Forward, ChunkedRequestBodyReachesTheServiceChunked) {
  ScriptedService service([](const ServiceRequest& request) { return ServiceAnswer{.body = request.body}; });
  CausewayProcess causeway(api_config(service.url()));

  HttpConnection client(causeway.listener());
  ASSERT_TRUE(
      client.send("PUT /api/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Type: text/plain\r\n\r\n"));
  const std::string body = "part-one|part-two|" + std::string(40000, 'z') + "|end";
  for (std::size_t at = 0; at < body.size(); at += 9000) {
    ASSERT_TRUE(client.send(chunk(std::string_view(body).substr(at, 9000))));
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(client.send(chunk("")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body == body) << response->body.size() << " bytes back";

  ASSERT_EQ(service.request_count(), 1u);
  const auto seen = service.requests().front();
  EXPECT_EQ(seen.header("transfer-encoding"), "chunked");
  EXPECT_FALSE(seen.header("content-length"));
  EXPECT_TRUE(seen.body == body) << seen.body.size() << " bytes seen";
  EXPECT_EQ(seen.header("content-type"), "text/plain");
}

// A chunked upload is a stream (a log tail, a sensor feed): each piece must go on
// when it comes, not when 16 KiB have gathered or the body ended.
TEST(Forward, ChunkedRequestPiecesAreForwardedAsTheyArrive) {
  std::atomic<bool> first_piece_arrived{false};
  std::atomic<bool> whole_body{false};
  RawService service([&](RawSocket& socket) {
    auto head = read_request_head(socket);
    if (!head) return;
    first_piece_arrived =
        socket.receive_until([](const std::string& got) { return got.find("part-one|") != std::string::npos; }, 3s);
    auto body = read_request_body(socket, *head);
    if (!body) return;
    whole_body = *body == "part-one|part-two";
    socket.send(response_head(200, {{"Content-Length", "0"}}));
  });
  CausewayProcess causeway(api_config(service.url()));

  HttpConnection client(causeway.listener());
  ASSERT_TRUE(
      client.send("POST /api/feed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("part-one|")));
  // The rest is held back until the service saw the first piece (or gave up waiting).
  eventually([&] { return first_piece_arrived.load(); }, 4s);
  EXPECT_TRUE(first_piece_arrived.load()) << "the service saw nothing of the body while the client held the rest";
  ASSERT_TRUE(client.send(chunk("part-two") + chunk("")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(whole_body.load());
}

TEST(Forward, ChunkedResponseIsRelayedChunked) {
  RawService service([](RawSocket& socket) {
    while (auto head = read_request_head(socket)) {
      if (!read_request_body(socket, *head)) return;
      if (!socket.send(response_head(200, {{"Transfer-Encoding", "chunked"}, {"X-Stream", "yes"}}))) return;
      for (std::string piece : {"first,", "second,", "third"}) {
        std::this_thread::sleep_for(20ms);
        if (!socket.send(chunk(piece))) return;
      }
      if (!socket.send(chunk(""))) return;
    }
  });
  CausewayProcess causeway(api_config(service.url()));

  HttpConnection client(causeway.listener());
  for (int round = 0; round < 2; ++round) {  // the second proves the framing ended where it should
    ASSERT_TRUE(client.send(HttpRequest{.path = "/api/stream"}));
    auto response = client.read_response();
    ASSERT_TRUE(response) << "round " << round;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("transfer-encoding"), "chunked");
    EXPECT_FALSE(response->header("content-length"));
    EXPECT_EQ(response->header("x-stream"), "yes");
    EXPECT_EQ(response->body, "first,second,third");
  }
}

// A chunked response is a stream too (server-sent events, progress reports): each
// piece must reach the client when the service sends it.
TEST(Forward, ChunkedResponsePiecesReachTheClientAsTheyArrive) {
  std::atomic<bool> first_event_read{false};
  RawService service([&](RawSocket& socket) {
    auto head = read_request_head(socket);
    if (!head || !read_request_body(socket, *head)) return;
    socket.send(response_head(200, {{"Transfer-Encoding", "chunked"}, {"Content-Type", "text/event-stream"}}) +
                chunk("data: 1\n\n"));
    // The next event waits until the client has the first (or the test gave up).
    eventually([&] { return first_event_read.load(); }, 4s);
    socket.send(chunk("data: 2\n\n") + chunk(""));
  });
  CausewayProcess causeway(api_config(service.url()));

  auto client = RawSocket::connect(causeway.listener());
  ASSERT_TRUE(client.send("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string head = next_head(client);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  const bool first =
      client.receive_until([](const std::string& got) { return got.find("data: 1") != std::string::npos; }, 3s);
  EXPECT_TRUE(first) << "the client got nothing of the body while the service held the rest: '" << client.buffer()
                     << "'";
  first_event_read = true;
  EXPECT_TRUE(client.receive_until([](const std::string& got) { return got.ends_with("0\r\n\r\n"); }, 5s))
      << client.buffer();
  EXPECT_NE(client.buffer().find("data: 2"), std::string::npos);
}

// 5 MiB each way. Each direction is held half way until the far end has seen the
// first part: only a proxy that streams gets through. RSS is sampled throughout.
TEST(Forward, FiveMebibyteBodiesStreamBothWaysWithoutBuffering) {
  constexpr std::size_t kBody = 5 * kMiB;
  constexpr std::size_t kFirst = 1 * kMiB;
  const std::string upload = patterned(kBody, 1);
  const std::string download = patterned(kBody, 2);
  std::atomic<std::size_t> upload_seen{0};
  std::atomic<bool> download_half_read{false};
  std::atomic<bool> upload_intact{false};
  RawService service([&](RawSocket& socket) {
    while (auto head = read_request_head(socket)) {
      upload_seen = 0;
      const std::size_t length = std::stoul(head->header("content-length").value_or("0"));
      while (socket.buffer().size() < length) {
        if (!socket.receive_at_least(socket.buffer().size() + 1, 10s)) return;
        upload_seen = socket.buffer().size();
      }
      std::string body = socket.buffer().substr(0, length);
      socket.buffer().erase(0, length);
      if (head->target != "/api/big") {  // warm-up
        socket.send(response_head(200, {{"Content-Length", std::to_string(body.size())}}) + body);
        continue;
      }
      upload_intact = body == upload;
      std::string_view out(download);
      if (!socket.send(response_head(200, {{"Content-Length", std::to_string(kBody)}}) +
                       std::string(out.substr(0, kFirst))))
        return;
      eventually([&] { return download_half_read.load(); }, 10s);
      if (!socket.send(out.substr(kFirst))) return;
    }
  });
  CausewayProcess causeway(api_config(service.url()));
  const auto admin = causeway.admin();

  // Warm-up through the same path, so pools and buffers exist before the baseline.
  auto warm = http(causeway.listener(), "POST", "/api/warm", {}, patterned(256 * 1024, 3));
  ASSERT_EQ(warm.status, 200);
  const double baseline = resident_bytes(admin);
  std::atomic<bool> sampling{true};
  std::atomic<double> peak{baseline};
  std::thread sampler([&] {
    while (sampling.load()) {
      peak = std::max(peak.load(), resident_bytes(admin));
      std::this_thread::sleep_for(20ms);
    }
  });

  auto client = RawSocket::connect(causeway.listener());
  ASSERT_TRUE(client.send("POST /api/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n" +
                          upload.substr(0, kFirst)));
  const bool upload_streamed = eventually([&] { return upload_seen.load() >= kFirst / 2; }, 10s);
  EXPECT_TRUE(upload_streamed) << "the service saw " << upload_seen.load() << " bytes while the client held the rest";
  ASSERT_TRUE(client.send(std::string_view(upload).substr(kFirst)));

  const std::string head = next_head(client, 15s);
  ASSERT_FALSE(head.empty()) << "no response head";
  EXPECT_NE(head.find(" 200 "), std::string::npos) << head;
  const bool download_streamed = client.receive_at_least(kFirst / 2, 10s);
  EXPECT_TRUE(download_streamed) << "the client got " << client.buffer().size()
                                 << " bytes while the service held the rest";
  download_half_read = true;
  ASSERT_TRUE(client.receive_at_least(kBody, 15s)) << "got " << client.buffer().size() << " of " << kBody;
  sampling = false;
  sampler.join();

  EXPECT_TRUE(upload_intact.load()) << "the service got a different body";
  EXPECT_TRUE(client.buffer() == download) << "the client got a different body";
  const double end = resident_bytes(admin);
  RecordProperty("rss_baseline", static_cast<int>(baseline));
  RecordProperty("rss_peak", static_cast<int>(peak.load()));
  std::cout << "RSS baseline " << baseline / kMiB << " MiB, peak " << peak.load() / kMiB << " MiB, after " << end / kMiB
            << " MiB\n";
  // 10 MiB went through; holding either body whole would show as 5 MiB more at least.
  EXPECT_LT(peak.load() - baseline, 4.0 * kMiB);
  EXPECT_LT(end - baseline, 4.0 * kMiB);
}

TEST(Forward, HeadAnd204And304AnswersHaveNoBody) {
  RawService service([](RawSocket& socket) {
    while (auto head = read_request_head(socket)) {
      if (!read_request_body(socket, *head)) return;
      std::string answer;
      if (head->method == "HEAD") {
        answer = response_head(200, {{"Content-Length", "1234"}, {"Content-Type", "text/plain"}});
      } else if (head->target == "/api/empty") {
        answer = response_head(204, {{"X-Kind", "none"}});
      } else if (head->target == "/api/same") {
        answer = response_head(304, {{"ETag", "\"v1\""}});
      } else if (head->target == "/api/hints") {
        answer = response_head(103, {{"Link", "</style.css>; rel=preload"}}) +
                 response_head(200, {{"Content-Length", "5"}}) + "hints";
      } else {
        answer = response_head(200, {{"Content-Length", "5"}}) + "after";
      }
      if (!socket.send(answer)) return;
    }
  });
  CausewayProcess causeway(api_config(service.url()));

  // One connection for all, so a stray body byte would show up in front of the next head.
  auto client = RawSocket::connect(causeway.listener());
  ASSERT_TRUE(client.send("HEAD /api/thing HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string head = next_head(client);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("1234"), std::string::npos) << "the Content-Length of the GET is kept: " << head;

  ASSERT_TRUE(client.send("GET /api/empty HTTP/1.1\r\nHost: x\r\n\r\n"));
  head = next_head(client);
  EXPECT_EQ(head.rfind("HTTP/1.1 204", 0), 0u) << head;
  EXPECT_EQ(head.find("chunked"), std::string::npos) << head;

  ASSERT_TRUE(client.send("GET /api/same HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n"));
  head = next_head(client);
  EXPECT_EQ(head.rfind("HTTP/1.1 304", 0), 0u) << head;
  EXPECT_NE(head.find("\"v1\""), std::string::npos) << head;
  EXPECT_EQ(head.find("chunked"), std::string::npos) << head;

  // An interim answer may be passed on or not, but the final one follows whole.
  ASSERT_TRUE(client.send("GET /api/hints HTTP/1.1\r\nHost: x\r\n\r\n"));
  head = next_head(client);
  if (head.rfind("HTTP/1.1 103", 0) == 0) head = next_head(client);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  ASSERT_TRUE(client.receive_at_least(5, 5s));
  EXPECT_EQ(client.buffer().substr(0, 5), "hints");
  client.buffer().erase(0, 5);

  ASSERT_TRUE(client.send("GET /api/after HTTP/1.1\r\nHost: x\r\n\r\n"));
  head = next_head(client);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << "bytes before the last head: " << head;
  ASSERT_TRUE(client.receive_at_least(5, 5s));
  std::this_thread::sleep_for(100ms);
  client.receive_until([](const std::string&) { return false; }, 100ms);
  EXPECT_EQ(client.buffer(), "after");
}

// A client that leaves mid-download leaves the upstream connection with unread body
// bytes: it must be closed, not pooled, or the next request would read them.
TEST(Forward, ClientGoneMidDownloadLeavesNothingBehindInThePool) {
  RawService service([](RawSocket& socket) {
    while (auto head = read_request_head(socket)) {
      if (!read_request_body(socket, *head)) return;
      if (head->target != "/api/big") {
        if (!socket.send(response_head(200, {{"Content-Length", "5"}}) + "small")) return;
        continue;
      }
      if (!socket.send(response_head(200, {{"Content-Length", std::to_string(8 * kMiB)}}))) return;
      const std::string piece(64 * 1024, 'B');
      for (std::size_t sent = 0; sent < 8 * kMiB; sent += piece.size()) {
        if (!socket.send(piece)) return;
      }
    }
  });
  CausewayProcess causeway(api_config(service.url()));

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    {
      auto leaving = RawSocket::connect(causeway.listener());
      ASSERT_TRUE(leaving.send("GET /api/big HTTP/1.1\r\nHost: x\r\n\r\n"));
      ASSERT_TRUE(leaving.receive_at_least(100 * 1024, 5s));
    }  // gone, with most of the body unread
    HttpConnection client(causeway.listener());
    ASSERT_TRUE(client.send(HttpRequest{.path = "/api/small"}));
    auto response = client.read_response(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "small");
  }
}

TEST(Forward, UpstreamConnectionIsKeptAliveAcrossRequests) {
  ScriptedService service;
  CausewayProcess causeway(api_config(service.url()));

  // Sequential requests of one client connection: one upstream connection.
  HttpConnection client(causeway.listener());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.send(HttpRequest{.path = "/api/k" + std::to_string(i)}));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
  }
  EXPECT_EQ(service.connections_accepted(), 1u);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_upstream_connects_total", {{"upstream", "backend"}}), 1);

  // Each on a client connection of its own that asks to close: that is the client's
  // hop, not the upstream's. Client connections spread over the event loops, and
  // each loop keeps its own idle upstream connections: at most one per loop.
  for (int i = 0; i < 8; ++i) {
    auto response = http(causeway.listener(), "GET", "/api/n" + std::to_string(i));
    ASSERT_EQ(response.status, 200);
  }
  const std::size_t loops = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_LE(service.connections_accepted(), std::min<std::size_t>(loops, 8));
  for (const auto& request : service.requests()) {
    EXPECT_FALSE(request.header("connection") == "close") << request.target;
  }
}

TEST(Forward, UpstreamTimeoutIs504WithinTheRouteTimeout) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.body = "late", .delay = 3s}; });
  CausewayProcess causeway(
      ForwardConfig{.backend_url = service.url(), .routes = forward_route("slow", "/slow", ", timeout: 300ms")}.yaml());

  const auto started = Clock::now();
  auto response = http(causeway.listener(), "GET", "/slow");
  const auto took = Clock::now() - started;
  EXPECT_EQ(response.status, 504);
  EXPECT_EQ(response.error(), "timeout");
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.json().at("route"), "slow");
  EXPECT_GE(took, 280ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(requests_total(causeway.admin(), "slow", 504), 1);
  EXPECT_EQ(upstream_total(causeway.admin(), "timeout"), 1);
}

TEST(Forward, RefusedUpstreamIs502) {
  CausewayProcess causeway(ForwardConfig{.backend_url = "http://127.0.0.1:" + std::to_string(refused_port()),
                                         .routes = forward_route("api", "/api/{rest=**}")}
                               .yaml());

  auto response = http(causeway.listener(), "POST", "/api/x", {}, "body");
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.error(), "bad_gateway");
  EXPECT_EQ(response.json().at("route"), "api");
  EXPECT_EQ(requests_total(causeway.admin(), "api", 502), 1);
  EXPECT_EQ(upstream_total(causeway.admin(), "connect_failed"), 1);
}

TEST(Forward, GarbageOrAnEarlyCloseFromTheUpstreamIs502) {
  RawService service([](RawSocket& socket) {
    auto head = read_request_head(socket);
    if (!head || !read_request_body(socket, *head)) return;
    if (head->target == "/api/garbage") socket.send("this is not http at all\r\n\r\n");
    // /api/close: closed without a byte of answer
  });
  CausewayProcess causeway(api_config(service.url()));

  for (std::string target : {"/api/garbage", "/api/close"}) {
    auto response = http(causeway.listener(), "GET", target);
    EXPECT_EQ(response.status, 502) << target << ": " << response.body;
    EXPECT_EQ(response.error(), "bad_gateway") << target;
  }
  EXPECT_EQ(requests_total(causeway.admin(), "api", 502), 2);
  EXPECT_EQ(upstream_total(causeway.admin(), "bad_response"), 1);
  EXPECT_EQ(upstream_total(causeway.admin(), "reset"), 1);
}

TEST(Forward, UpstreamResetMidResponseCutsTheClientConnection) {
  RawService service([](RawSocket& socket) {
    auto head = read_request_head(socket);
    if (!head || !read_request_body(socket, *head)) return;
    if (head->target == "/api/sized") {
      socket.send(response_head(200, {{"Content-Length", "100000"}}) + std::string(10000, 'x'));
    } else {
      socket.send(response_head(200, {{"Transfer-Encoding", "chunked"}}) + chunk(std::string(10000, 'y')));
    }
    std::this_thread::sleep_for(100ms);
    socket.reset();
  });
  CausewayProcess causeway(api_config(service.url()));

  for (std::string target : {"/api/sized", "/api/chunked"}) {
    SCOPED_TRACE(target);
    HttpConnection client(causeway.listener());
    ASSERT_TRUE(client.send(HttpRequest{.path = target}));
    const auto started = Clock::now();
    auto response = client.read_response(5s);
    // Not a complete answer: a short body must never pass for the whole one.
    EXPECT_FALSE(response) << "complete response with " << response->body.size() << " body bytes";
    EXPECT_LT(Clock::now() - started, 4s) << "the connection was left hanging instead of cut";
    EXPECT_TRUE(client.closed_by_peer(1s));
  }
}

}  // namespace
}  // namespace causeway::testing
