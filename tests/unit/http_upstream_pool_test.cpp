#include "http/upstream_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>

#include "http/io_threads.h"
#include "http/upstream_exchange.h"
#include "http_upstream_test_server.h"
#include "metrics/registry.h"

namespace causeway::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using scripted::TestServer;
using Lease = UpstreamPool::Lease;
using Error = UpstreamResult::Error;

std::string ok(const scripted::ReceivedRequest&) { return scripted::response_text(200, "ok"); }

// Drives the pool from the test thread; everything a connection does happens on its loop.
class UpstreamPoolTest : public ::testing::Test {
 protected:
  UpstreamPoolTest() { threads.start(); }

  void TearDown() override {
    if (!pool) return;
    pool->shut_down();
    for (std::size_t i = 0; i < threads.size(); ++i) on_loop(i, [] {});  // after each loop's close
  }

  void make_pool(std::size_t max_connections, config::Duration idle_timeout = 60s) {
    config::Upstream upstream;
    upstream.name = "orders";
    upstream.host = "127.0.0.1";
    upstream.port = server.port();
    upstream.max_connections = max_connections;
    upstream.idle_timeout = idle_timeout;
    pool = UpstreamPool::create(upstream, threads, open, connects);
  }

  std::future<Lease> start_acquire(std::size_t loop, config::Duration timeout) {
    auto promise = std::make_shared<std::promise<Lease>>();
    boost::asio::co_spawn(threads.context(loop), pool->acquire(loop, SteadyClock::now() + timeout),
                          [promise](std::exception_ptr, Lease lease) { promise->set_value(std::move(lease)); });
    return promise->get_future();
  }

  Lease acquire(std::size_t loop, config::Duration timeout = 2s) { return start_acquire(loop, timeout).get(); }

  // A lease that must succeed for the test to mean anything.
  Lease connected(std::size_t loop) {
    Lease lease = acquire(loop);
    EXPECT_TRUE(lease.connection) << lease.detail;
    if (!lease.connection) throw std::runtime_error("no connection: " + lease.detail);
    return lease;
  }

  void on_loop(std::size_t loop, std::function<void()> task) {
    std::promise<void> done;
    boost::asio::post(threads.context(loop), [&] {
      task();
      done.set_value();
    });
    done.get_future().wait();
  }

  void release(std::size_t loop, Lease& lease) {
    on_loop(loop, [&] { pool->release(std::move(lease.connection)); });
  }

  // One GET over the connection, on its loop.
  UpstreamResult get(std::size_t loop, Lease& lease) {
    std::promise<ExchangeOutcome> promise;
    config::Upstream upstream;
    upstream.host = "127.0.0.1";
    auto request = build_request(upstream, UpstreamRequest{});
    ExchangeLimits limits{SteadyClock::now() + 2s, 1024, 2s};
    boost::asio::co_spawn(threads.context(loop), exchange(lease.connection->stream(), request, false, limits),
                          [&](std::exception_ptr, ExchangeOutcome outcome) { promise.set_value(std::move(outcome)); });
    return promise.get_future().get().result;
  }

  TestServer server{scripted::serve(ok)};
  metrics::Registry registry;
  metrics::Gauge& open = registry.gauge("open", "open connections").with(std::vector<std::string>{});
  metrics::Counter& connects = registry.counter("connects", "connections opened").with(std::vector<std::string>{});
  IoThreads threads{2, "pool-test"};
  std::shared_ptr<UpstreamPool> pool;
};

TEST_F(UpstreamPoolTest, QueuedAcquireFailsWithTimeoutAtItsDeadline) {
  make_pool(1);
  Lease held = connected(0);
  const auto begin = SteadyClock::now();

  Lease late = acquire(0, 200ms);

  EXPECT_FALSE(late.connection);
  EXPECT_EQ(late.error, Error::timeout);
  EXPECT_THAT(late.detail, HasSubstr("no connection free"));
  EXPECT_GE(SteadyClock::now() - begin, 190ms);
  EXPECT_LT(SteadyClock::now() - begin, 1s);
  EXPECT_EQ(server.accepted(), 1);
  release(0, held);
}

// The forwarder asks acquire_at_once() first: what it gives must be what acquire() would have.
TEST_F(UpstreamPoolTest, AcquireAtOnceGivesAnIdleConnectionAndLeavesConnectingToAcquire) {
  make_pool(2);
  std::optional<Lease> none_idle;
  on_loop(0, [&] { none_idle = pool->acquire_at_once(0); });
  EXPECT_FALSE(none_idle);  // nothing idle: acquire() must connect
  EXPECT_EQ(server.accepted(), 0);

  Lease first = connected(0);
  auto* connection = first.connection.get();
  release(0, first);
  std::optional<Lease> idle;
  on_loop(0, [&] { idle = pool->acquire_at_once(0); });
  ASSERT_TRUE(idle);
  ASSERT_TRUE(idle->connection) << idle->detail;
  EXPECT_EQ(idle->connection.get(), connection);
  EXPECT_TRUE(idle->connection->reused());
  release(0, *idle);

  pool->shut_down();
  on_loop(0, [] {});
  std::optional<Lease> closed;
  on_loop(0, [&] { closed = pool->acquire_at_once(0); });
  ASSERT_TRUE(closed);  // a closed pool answers at once, with an error
  EXPECT_FALSE(closed->connection);
  EXPECT_EQ(closed->error, Error::connect_failed);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(UpstreamPoolTest, ReleasedConnectionMovesToTheLoopWhereARequestWaits) {
  make_pool(1);
  Lease held = connected(0);
  auto waiting = start_acquire(1, 2s);
  ASSERT_EQ(waiting.wait_for(100ms), std::future_status::timeout);  // nothing free yet

  release(0, held);
  ASSERT_EQ(waiting.wait_for(1s), std::future_status::ready);
  Lease moved = waiting.get();

  ASSERT_TRUE(moved.connection) << moved.detail;
  EXPECT_TRUE(moved.connection->reused());
  auto result = get(1, moved);  // the socket works on its new loop
  EXPECT_EQ(result.error, Error::none) << result.detail;
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(connects.value(), 1u);
  EXPECT_EQ(open.value(), 1);
  release(1, moved);
}

// Each loop serves its own waiting requests first, but not so long that another loop's starve.
TEST_F(UpstreamPoolTest, ARequestThatWaitedLongerOnAnotherLoopGetsTheReleasedConnection) {
  make_pool(1);
  Lease held = connected(0);
  auto long_waiting = start_acquire(1, 2s);
  ASSERT_EQ(long_waiting.wait_for(50ms), std::future_status::timeout);
  auto own_loop = start_acquire(0, 2s);
  ASSERT_EQ(own_loop.wait_for(20ms), std::future_status::timeout);

  release(0, held);
  ASSERT_EQ(long_waiting.wait_for(1s), std::future_status::ready);
  Lease moved = long_waiting.get();
  ASSERT_TRUE(moved.connection) << moved.detail;
  EXPECT_EQ(own_loop.wait_for(50ms), std::future_status::timeout) << "the newer request on the releasing loop waits";
  release(1, moved);
  ASSERT_EQ(own_loop.wait_for(1s), std::future_status::ready);
  Lease last = own_loop.get();
  ASSERT_TRUE(last.connection) << last.detail;
  EXPECT_EQ(server.accepted(), 1);
  release(0, last);
}

TEST_F(UpstreamPoolTest, IdleConnectionOnAnotherLoopServesAWaitingRequest) {
  make_pool(1);
  Lease first = connected(0);
  release(0, first);  // idle on loop 0, and the only slot taken

  Lease second = acquire(1, 1s);

  ASSERT_TRUE(second.connection) << second.detail;
  EXPECT_EQ(get(1, second).error, Error::none);
  EXPECT_EQ(server.accepted(), 1);
  release(1, second);
}

TEST_F(UpstreamPoolTest, IdleConnectionsAreClosedAfterIdleTimeout) {
  make_pool(4, 100ms);
  Lease lease = connected(0);
  release(0, lease);
  EXPECT_EQ(open.value(), 1);

  std::this_thread::sleep_for(250ms);

  EXPECT_EQ(open.value(), 0);  // swept without any request coming
  Lease next = connected(0);
  EXPECT_FALSE(next.connection->reused());
  EXPECT_EQ(connects.value(), 2u);
  release(0, next);
}

TEST_F(UpstreamPoolTest, AnIdleConnectionOutlivesTheDeadlineOfTheRequestItServed) {
  // The forwarder releases a connection with its request's deadline still set.
  make_pool(4);
  Lease lease = connected(0);
  on_loop(0, [&] { lease.connection->stream().expires_after(100ms); });
  release(0, lease);

  std::this_thread::sleep_for(300ms);

  EXPECT_EQ(open.value(), 1);
  Lease next = connected(0);
  EXPECT_TRUE(next.connection->reused());
  EXPECT_EQ(get(0, next).error, Error::none);
  EXPECT_EQ(connects.value(), 1u);
  release(0, next);
}

TEST_F(UpstreamPoolTest, ShutDownWakesWaitingRequests) {
  make_pool(1);
  Lease held = connected(0);
  auto waiting = start_acquire(1, 5s);
  ASSERT_EQ(waiting.wait_for(50ms), std::future_status::timeout);

  pool->shut_down();

  ASSERT_EQ(waiting.wait_for(1s), std::future_status::ready);
  Lease woken = waiting.get();
  EXPECT_FALSE(woken.connection);
  EXPECT_EQ(woken.detail, "upstream client closed");
  on_loop(0, [&] { held.connection.reset(); });
  EXPECT_EQ(open.value(), 0);
}

}  // namespace
}  // namespace causeway::http
