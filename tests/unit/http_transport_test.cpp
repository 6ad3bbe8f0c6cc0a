#include "http/transport.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace causeway::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A client Transport connected to a peer that never writes unless told to.
class TransportTest : public ::testing::Test {
 public:
  struct Read {
    boost::beast::error_code ec;  // as outcome() reads it
    std::size_t bytes = 0;
    Clock::duration took{};
  };

 protected:
  TransportTest() {
    acceptor.open(tcp::v4());
    acceptor.bind({asio::ip::address_v4::loopback(), 0});
    acceptor.listen();
    Transport::Socket client(io);
    client.connect(acceptor.local_endpoint());
    peer = acceptor.accept();
    stream.emplace(std::move(client));
    runner = std::thread([this] { io.run(); });
  }
  ~TransportTest() override {
    guard.reset();
    io.stop();
    runner.join();
  }

  // On the loop: `setup` (the deadlines), then one read.
  Read read(std::function<void(Transport&)> setup) {
    std::promise<Read> done;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const auto begin = Clock::now();
          setup(*stream);
          std::array<char, 64> bytes{};
          auto [ec, n] = co_await stream->async_read_some(asio::buffer(bytes), use_tuple);
          done.set_value(Read{stream->outcome(ec), n, Clock::now() - begin});
        },
        asio::detached);
    return done.get_future().get();
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  tcp::acceptor acceptor{io};
  tcp::socket peer{io};
  std::optional<Transport> stream;
  std::thread runner;
};

void ExpectTimedOut(const TransportTest::Read& got, Clock::duration at_least, Clock::duration below) {
  EXPECT_EQ(got.ec, boost::beast::error::timeout);
  EXPECT_GE(got.took, at_least);
  EXPECT_LT(got.took, below);
}

TEST_F(TransportTest, AReadPastItsDeadlineEndsWithTimeout) {
  ExpectTimedOut(read([](Transport& s) { s.expires_after(150ms); }), 140ms, 2s);
}

TEST_F(TransportTest, ALaterDeadlineSetAfterAnEarlierOneIsTheOneThatCounts) {
  // The timer was armed for the first deadline; when it fires it must wait on.
  ExpectTimedOut(read([](Transport& s) {
                   s.expires_after(100ms);
                   s.expires_after(400ms);
                 }),
                 390ms, 3s);
}

TEST_F(TransportTest, AnEarlierDeadlineSetAfterALaterOneCutsTheReadSooner) {
  ExpectTimedOut(read([](Transport& s) {
                   s.expires_after(30s);
                   s.expires_after(150ms);
                 }),
                 0ms, 5s);
}

TEST_F(TransportTest, NoDeadlineAfterExpiresNeverAndDataStillArrives) {
  std::thread writer([this] {
    std::this_thread::sleep_for(400ms);
    asio::write(peer, asio::buffer("hello", 5));
  });
  const Read got = read([](Transport& s) {
    s.expires_after(100ms);
    s.expires_never();
  });
  writer.join();
  EXPECT_FALSE(got.ec) << got.ec.message();
  EXPECT_EQ(got.bytes, 5u);
  EXPECT_GE(got.took, 390ms);
}

TEST_F(TransportTest, AReadThatEndsOtherwiseIsNotCalledATimeout) {
  peer.close();
  const Read got = read([](Transport& s) { s.expires_after(5s); });
  EXPECT_EQ(got.ec, asio::error::eof);
}

TEST_F(TransportTest, SendAtOnceSendsASmallWriteWholeWithNothingLeftToAwait) {
  const std::string hello = "hello";
  auto rest = stream->send_at_once(asio::buffer(hello));
  EXPECT_EQ(boost::beast::buffer_bytes(rest), 0u);
  std::string got(hello.size(), '\0');
  asio::read(peer, asio::buffer(got));
  EXPECT_EQ(got, hello);
}

TEST_F(TransportTest, WhatSendAtOnceLeavesGoesOutInOrderWhenAwaited) {
  // More than the send buffer and the peer's receive buffer hold: only part goes at once.
  std::string payload(16 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);
  const std::array pieces{asio::buffer(payload.data(), 1000), asio::buffer(payload.data() + 1000, payload.size() - 1000)};
  auto rest = stream->send_at_once(pieces);
  const std::size_t left = boost::beast::buffer_bytes(rest);
  EXPECT_GT(left, 0u);
  EXPECT_LT(left, payload.size());

  std::promise<boost::beast::error_code> written;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto [ec, n] = co_await asio::async_write(*stream, rest, use_tuple);
        written.set_value(ec);
      },
      asio::detached);
  std::string got(payload.size(), '\0');
  asio::read(peer, asio::buffer(got));
  peer.close();  // were more bytes left than were due, the write would fail here instead of hanging
  EXPECT_FALSE(written.get_future().get());
  EXPECT_TRUE(got == payload);
}

}  // namespace
}  // namespace causeway::http
