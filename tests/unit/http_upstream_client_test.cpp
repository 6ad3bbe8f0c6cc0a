#include "http/upstream_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "http/io_threads.h"
#include "http_upstream_test_server.h"
#include "metrics/registry.h"

namespace causeway::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using scripted::TestPeer;
using scripted::TestServer;
using scripted::response_text;
using scripted::serve;
using Error = UpstreamResult::Error;
using Clock = std::chrono::steady_clock;

std::string ok(const scripted::ReceivedRequest&) { return response_text(200, "ok"); }

std::string header_value(const bridge::Response& response, std::string_view name) {
  const std::string* value = bridge::find_header(response.headers, name);
  return value ? *value : "<none>";
}

UpstreamRequest get(std::string target) {
  UpstreamRequest request;
  request.target = std::move(target);
  return request;
}

class UpstreamClientTest : public ::testing::Test {
 protected:
  UpstreamClientTest() { threads.start(); }

  config::Upstream upstream_at(std::uint16_t port) {
    config::Upstream upstream;
    upstream.name = "orders";
    upstream.host = "127.0.0.1";
    upstream.port = port;
    upstream.timeout = 2s;
    upstream.connect_timeout = 500ms;
    return upstream;
  }

  UpstreamClient& client_for(const config::Upstream& upstream) {
    client = std::make_unique<UpstreamClient>(upstream, threads, registry);
    return *client;
  }

  // Sends and waits; checks that `done` ran once, on one of the loops.
  struct Pending {
    std::promise<UpstreamResult> result;
    std::atomic<int> calls{0};
    std::atomic<bool> on_loop{false};
  };

  std::shared_ptr<Pending> start(UpstreamRequest request) {
    auto pending = std::make_shared<Pending>();
    client->send(std::move(request), [this, pending](UpstreamResult result) {
      pending->on_loop = on_a_loop();
      if (pending->calls.fetch_add(1) == 0) pending->result.set_value(std::move(result));
    });
    return pending;
  }

  UpstreamResult finish(const std::shared_ptr<Pending>& pending) {
    auto future = pending->result.get_future();
    if (future.wait_for(5s) != std::future_status::ready) throw std::runtime_error("done was never called");
    auto result = future.get();
    std::this_thread::sleep_for(1ms);
    EXPECT_EQ(pending->calls.load(), 1);
    EXPECT_TRUE(pending->on_loop.load());
    return result;
  }

  UpstreamResult call(UpstreamRequest request) { return finish(start(std::move(request))); }

  bool on_a_loop() {
    for (std::size_t i = 0; i < threads.size(); ++i) {
      if (threads.context(i).get_executor().running_in_this_thread()) return true;
    }
    return false;
  }

  bool metrics_contain(const std::string& line) { return registry.render().find(line + "\n") != std::string::npos; }

  metrics::Registry registry;
  IoThreads threads{2, "upstream-test"};
  std::unique_ptr<UpstreamClient> client;  // after the threads: destroyed first
};

TEST_F(UpstreamClientTest, GetCarriesTargetHostAndHeadersAndReturnsTheResponse) {
  TestServer server(serve([](const scripted::ReceivedRequest&) {
    return response_text(200, "hello", "Content-Type: text/plain\r\nX-Reply: yes\r\n");
  }));
  auto upstream = upstream_at(server.port());
  upstream.base_path = "/api";
  client_for(upstream);
  auto request = get("/items/7?full=1");
  request.headers = {{"x-trace", "abc"}, {"host", "evil"},          {"content-length", "99"},
                     {"connection", "close"}, {"transfer-encoding", "chunked"}, {"bad\r\nname", "x"},
                     {"x-split", "a\r\nInjected: 1"}};

  auto result = call(std::move(request));

  ASSERT_EQ(result.error, Error::none) << result.detail;
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 200);
  EXPECT_EQ(result.response->body, "hello");
  EXPECT_EQ(header_value(*result.response, "x-reply"), "yes");
  EXPECT_EQ(header_value(*result.response, "content-type"), "text/plain");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method_string(), "GET");
  EXPECT_EQ(seen[0].target(), "/api/items/7?full=1");
  EXPECT_EQ(seen[0].version(), 11u);
  EXPECT_EQ(seen[0]["Host"], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0]["X-Trace"], "abc");
  EXPECT_EQ(seen[0].count("Content-Length"), 0u);
  EXPECT_EQ(seen[0].count("Connection"), 0u);
  EXPECT_EQ(seen[0].count("Transfer-Encoding"), 0u);
  EXPECT_EQ(seen[0].count("Injected"), 0u);
  EXPECT_EQ(seen[0].count("X-Split"), 0u);
}

TEST_F(UpstreamClientTest, PostSendsTheBodyWithItsLength) {
  TestServer server(serve([](const scripted::ReceivedRequest& request) {
    return response_text(201, "got " + request.body(), "Location: /orders/1\r\n");
  }));
  client_for(upstream_at(server.port()));
  UpstreamRequest request;
  request.method = "POST";
  request.target = "/orders";
  request.headers = {{"content-type", "application/json"}};
  request.body = R"({"sku":"a-1"})";
  UpstreamRequest empty;
  empty.method = "PUT";
  empty.target = "/orders/1";

  auto created = call(std::move(request));
  auto updated = call(std::move(empty));

  ASSERT_TRUE(created.response) << created.detail;
  EXPECT_EQ(created.response->status, 201);
  EXPECT_EQ(created.response->body, R"(got {"sku":"a-1"})");
  EXPECT_EQ(header_value(*created.response, "location"), "/orders/1");
  ASSERT_TRUE(updated.response) << updated.detail;
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0]["Content-Length"], "13");
  EXPECT_EQ(seen[0]["Content-Type"], "application/json");
  EXPECT_EQ(seen[1].method_string(), "PUT");
  EXPECT_EQ(seen[1]["Content-Length"], "0");
}

TEST_F(UpstreamClientTest, SequentialRequestsReuseOneConnection) {
  TestServer server(serve(ok));
  client_for(upstream_at(server.port()));

  for (int i = 0; i < 10; ++i) {
    auto result = call(get("/n/" + std::to_string(i)));
    ASSERT_TRUE(result.response) << result.detail;
  }

  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(server.requests().size(), 10u);
  EXPECT_TRUE(metrics_contain("causeway_upstream_connects_total{upstream=\"orders\"} 1"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_connections{upstream=\"orders\"} 1"));
}

TEST_F(UpstreamClientTest, MaxConnectionsBoundsOpenConnectionsAndQueuesTheRest) {
  TestServer server(serve([](const scripted::ReceivedRequest&) {
    std::this_thread::sleep_for(50ms);
    return response_text(200, "slow");
  }));
  auto upstream = upstream_at(server.port());
  upstream.max_connections = 2;
  client_for(upstream);

  std::vector<std::shared_ptr<Pending>> pending;
  for (int i = 0; i < 10; ++i) pending.push_back(start(get("/slow")));
  int succeeded = 0;
  for (auto& one : pending) {
    auto result = finish(one);
    EXPECT_EQ(result.error, Error::none) << result.detail;
    succeeded += result.response && result.response->status == 200;
  }

  EXPECT_EQ(succeeded, 10);
  EXPECT_LE(server.most_open(), 2);
  EXPECT_LE(server.accepted(), 2);  // connections moved between loops, never reopened
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"200\"} 10"));
}

TEST_F(UpstreamClientTest, RefusedConnectionFailsFast) {
  client_for(upstream_at(scripted::closed_port()));
  const auto begin = Clock::now();

  auto result = call(get("/"));

  EXPECT_EQ(result.error, Error::connect_failed);
  EXPECT_THAT(result.detail, HasSubstr("connection refused"));
  EXPECT_FALSE(result.response);
  EXPECT_LT(Clock::now() - begin, 500ms);
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"connect_failed\"} 1"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_connects_total{upstream=\"orders\"} 0"));
}

TEST_F(UpstreamClientTest, SilentServerTimesOutAfterTheTimeout) {
  TestServer server([](TestPeer& peer) {
    peer.read();
    peer.wait_for_close();
  });
  auto upstream = upstream_at(server.port());
  upstream.timeout = 300ms;
  client_for(upstream);
  const auto begin = Clock::now();

  auto result = call(get("/"));

  const auto elapsed = Clock::now() - begin;
  EXPECT_EQ(result.error, Error::timeout);
  EXPECT_THAT(result.detail, HasSubstr("no response within 300ms"));
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 1s);
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"timeout\"} 1"));
}

TEST_F(UpstreamClientTest, ServerClosingAfterTheRequestIsAReset) {
  TestServer server([](TestPeer& peer) {
    peer.read();
    peer.close();
  });
  client_for(upstream_at(server.port()));

  auto result = call(get("/"));

  EXPECT_EQ(result.error, Error::reset);
  EXPECT_THAT(result.detail, HasSubstr("closed"));
  EXPECT_EQ(server.accepted(), 1);  // a fresh connection's failure is not retried
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"reset\"} 1"));
}

TEST_F(UpstreamClientTest, GarbageIsABadResponse) {
  TestServer server([](TestPeer& peer) {
    peer.read();
    peer.write("HELLO THERE\r\n\r\n");
    peer.wait_for_close();
  });
  client_for(upstream_at(server.port()));

  auto result = call(get("/"));

  EXPECT_EQ(result.error, Error::bad_response);
  EXPECT_THAT(result.detail, HasSubstr("malformed response"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"bad_response\"} 1"));
}

TEST_F(UpstreamClientTest, ResponsesOverMaxResponseBytesAreBadResponses) {
  TestServer server(serve([](const scripted::ReceivedRequest& request) {
    if (request.target() == "/chunked") {
      return std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + "3e8\r\n" + std::string(1000, 'x') +
             "\r\n3e8\r\n" + std::string(1000, 'y') + "\r\n0\r\n\r\n";
    }
    return response_text(200, std::string(request.target() == "/small" ? 1000 : 5000, 'z'));
  }));
  auto upstream = upstream_at(server.port());
  upstream.max_response_bytes = 1000;
  client_for(upstream);

  auto big = call(get("/big"));
  auto chunked = call(get("/chunked"));
  auto small = call(get("/small"));

  EXPECT_EQ(big.error, Error::bad_response);
  EXPECT_THAT(big.detail, HasSubstr("response body over 1000"));
  EXPECT_EQ(chunked.error, Error::bad_response);
  ASSERT_TRUE(small.response) << small.detail;
  EXPECT_EQ(small.response->body.size(), 1000u);
}

TEST_F(UpstreamClientTest, IdleConnectionClosedByTheServerIsNotUsed) {
  TestServer server([](TestPeer& peer) {
    if (auto request = peer.read()) peer.write(response_text(200, "once"));
    peer.close();  // while the client keeps it in its pool
  });
  client_for(upstream_at(server.port()));

  auto first = call(get("/"));
  std::this_thread::sleep_for(50ms);
  auto second = call(get("/"));

  ASSERT_TRUE(first.response) << first.detail;
  ASSERT_TRUE(second.response) << second.detail;
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(UpstreamClientTest, StalePooledConnectionIsRetriedOnceOnAFreshOne) {
  // The first connection answers once, then reads the next request and hangs up without
  // a word, as a server does whose keep-alive timeout ran out just then.
  TestServer server([](TestPeer& peer) {
    if (peer.index() == 0) {
      if (peer.read()) peer.write(response_text(200, "first"));
      peer.read();
      peer.close();
      return;
    }
    while (auto request = peer.read()) peer.write(response_text(200, "fresh"));
  });
  client_for(upstream_at(server.port()));
  auto pending = start(get("/a"));
  auto first = finish(pending);

  auto second = call(get("/b"));

  ASSERT_TRUE(first.response) << first.detail;
  ASSERT_TRUE(second.response) << second.detail;
  EXPECT_EQ(second.response->body, "fresh");
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(server.requests().size(), 3u);  // /b twice: on the stale connection, then the fresh one
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"200\"} 2"));
}

TEST_F(UpstreamClientTest, StaleRetryHappensOnlyOnce) {
  TestServer server([](TestPeer& peer) {
    if (peer.index() == 0 && peer.read()) peer.write(response_text(200, "first"));
    peer.read();
    peer.close();
  });
  client_for(upstream_at(server.port()));

  auto first = call(get("/a"));
  auto second = call(get("/b"));

  ASSERT_TRUE(first.response) << first.detail;
  EXPECT_EQ(second.error, Error::reset);
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(UpstreamClientTest, ChunkedResponsesAreReassembledAndTheConnectionKept) {
  TestServer server(serve([](const scripted::ReceivedRequest&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
        "5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n");
  }));
  client_for(upstream_at(server.port()));

  auto first = call(get("/"));
  auto second = call(get("/"));

  ASSERT_TRUE(first.response) << first.detail;
  EXPECT_EQ(first.response->body, "hello, world");
  EXPECT_EQ(header_value(*first.response, "transfer-encoding"), "chunked");
  ASSERT_TRUE(second.response) << second.detail;
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(UpstreamClientTest, HeadAndNoContentResponsesHaveNoBody) {
  TestServer server(serve([](const scripted::ReceivedRequest& request) {
    if (request.method_string() == "HEAD") return std::string("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    if (request.target() == "/empty") return std::string("HTTP/1.1 204 No Content\r\n\r\n");
    if (request.target() == "/same") return std::string("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n");
    return response_text(200, "after");
  }));
  client_for(upstream_at(server.port()));
  UpstreamRequest head = get("/doc");
  head.method = "HEAD";

  auto headed = call(std::move(head));
  auto empty = call(get("/empty"));
  auto same = call(get("/same"));
  auto after = call(get("/doc"));

  ASSERT_TRUE(headed.response) << headed.detail;
  EXPECT_EQ(headed.response->status, 200);
  EXPECT_EQ(headed.response->body, "");
  EXPECT_EQ(header_value(*headed.response, "content-length"), "1234");
  ASSERT_TRUE(empty.response) << empty.detail;
  EXPECT_EQ(empty.response->status, 204);
  ASSERT_TRUE(same.response) << same.detail;
  EXPECT_EQ(same.response->status, 304);
  ASSERT_TRUE(after.response) << after.detail;
  EXPECT_EQ(after.response->body, "after");
  EXPECT_EQ(server.accepted(), 1);  // nothing was left unread on the connection
}

TEST_F(UpstreamClientTest, InterimResponsesAreSkipped) {
  TestServer server(serve([](const scripted::ReceivedRequest&) {
    return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" +
           response_text(200, "final");
  }));
  client_for(upstream_at(server.port()));

  auto result = call(get("/"));

  ASSERT_TRUE(result.response) << result.detail;
  EXPECT_EQ(result.response->status, 200);
  EXPECT_EQ(result.response->body, "final");
}

TEST_F(UpstreamClientTest, ConnectionsTheServerWillCloseAreNotReused) {
  // Each connection answers one request and then only waits: a reused one would time out.
  TestServer server([](TestPeer& peer) {
    auto request = peer.read();
    if (!request) return;
    if (request->target() == "/close") peer.write(response_text(200, "bye", "Connection: close\r\n"));
    if (request->target() == "/old") peer.write("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold");
    if (request->target() == "/eof") {
      peer.write("HTTP/1.1 200 OK\r\n\r\nuntil eof");
      peer.close();
    }
    peer.wait_for_close();
  });
  auto upstream = upstream_at(server.port());
  upstream.timeout = 500ms;
  client_for(upstream);

  auto closing = call(get("/close"));
  auto old = call(get("/old"));
  auto eof = call(get("/eof"));
  auto last = call(get("/close"));

  ASSERT_TRUE(closing.response) << closing.detail;
  ASSERT_TRUE(old.response) << old.detail;
  EXPECT_EQ(old.response->body, "old");
  ASSERT_TRUE(eof.response) << eof.detail;
  EXPECT_EQ(eof.response->body, "until eof");
  ASSERT_TRUE(last.response) << last.detail;
  EXPECT_EQ(server.accepted(), 4);
}

TEST_F(UpstreamClientTest, MetricsCountRequestsDurationsAndConnections) {
  TestServer server(serve([](const scripted::ReceivedRequest& request) {
    return response_text(request.target() == "/missing" ? 404 : 200, "x");
  }));
  client_for(upstream_at(server.port()));

  call(get("/"));
  call(get("/"));
  call(get("/missing"));

  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"200\"} 2"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"404\"} 1"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_requests_total{upstream=\"orders\",code=\"timeout\"} 0"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_request_duration_seconds_count{upstream=\"orders\"} 3"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_connections{upstream=\"orders\"} 1"));
  EXPECT_TRUE(metrics_contain("causeway_upstream_connects_total{upstream=\"orders\"} 1"));
  client.reset();
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(metrics_contain("causeway_upstream_connections{upstream=\"orders\"} 0"));
}

TEST_F(UpstreamClientTest, CallersOnALoopAreAnsweredOnTheirLoop) {
  TestServer server(serve(ok));
  client_for(upstream_at(server.port()));
  std::promise<bool> same_loop;

  boost::asio::post(threads.context(1), [&] {
    client->send(get("/"), [&](UpstreamResult result) {
      same_loop.set_value(result.response && threads.context(1).get_executor().running_in_this_thread());
    });
  });

  auto future = same_loop.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(future.get());
}

TEST_F(UpstreamClientTest, DestroyingTheClientAnswersEveryPendingRequest) {
  TestServer server([](TestPeer& peer) {
    peer.read();
    peer.wait_for_close();
  });
  auto upstream = upstream_at(server.port());
  upstream.max_connections = 1;  // one request in flight, the others queued
  upstream.timeout = 5s;
  client_for(upstream);
  std::vector<std::shared_ptr<Pending>> pending;
  for (int i = 0; i < 4; ++i) pending.push_back(start(get("/")));
  std::this_thread::sleep_for(100ms);
  const auto begin = Clock::now();

  client.reset();

  for (auto& one : pending) {
    auto result = finish(one);
    EXPECT_NE(result.error, Error::none);
    EXPECT_EQ(result.detail, "upstream client closed");
  }
  EXPECT_LT(Clock::now() - begin, 1s);
}

// The server's order at exit: loops stopped, then clients destroyed, then the loops'
// io_contexts one after another, with the pool still held by what was left in them.
// Without care this touches a destroyed io_context (ThreadSanitizer and ASan see it).
TEST_F(UpstreamClientTest, StoppingTheLoopsBeforeDestroyingTheClientIsSafe) {
  TestServer server([](TestPeer& peer) {
    while (auto request = peer.read()) {
      if (request->target() == "/hang") break;
      peer.write(response_text(200, "ok"));
    }
    peer.wait_for_close();
  });
  client_for(upstream_at(server.port()));
  for (std::size_t loop = 0; loop < threads.size(); ++loop) {  // an idle connection on every loop
    std::promise<bool> answered;
    boost::asio::post(threads.context(loop), [&] {
      client->send(get("/"), [&](UpstreamResult result) { answered.set_value(result.response.has_value()); });
    });
    ASSERT_TRUE(answered.get_future().get());
  }
  // In flight on loop 1, on loop 1's connection: loop 0 keeps an idle one in the pool,
  // and loop 1's io_context, destroyed last, holds the pool.
  boost::asio::post(threads.context(1), [&] { client->send(get("/hang"), [](UpstreamResult) {}); });
  std::this_thread::sleep_for(50ms);

  threads.stop();
  client.reset();

  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(server.requests().size(), 3u);
}

}  // namespace
}  // namespace causeway::http
