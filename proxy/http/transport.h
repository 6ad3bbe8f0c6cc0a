#pragma once
// A connection's byte stream: TCP, or TLS over TCP. The listener, the forwarder and
// the upstream pool read and write through this one type, so their HTTP code is
// written once for both; which of the two a connection is was decided when it was
// made.
//
// Deadlines are one timer per connection, kept lazily: a later deadline only records
// the time, and a timer that fires before it waits again for the rest. Beast's
// tcp_stream armed and cancelled a timer for every read and write, and its buffer
// wrapper made every read a recvmsg (bench/NOTES.md "One deadline per connection").
// As with tcp_stream, a deadline that passes closes the socket: whatever was pending
// ends, and `outcome()` reads that end as beast::error::timeout.

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include "http/loop_executor.h"

namespace causeway::http {

class Transport {
 public:
  using Socket = http::Socket;
  using TlsStream = boost::beast::ssl_stream<Socket>;
  using executor_type = Socket::executor_type;
  using Clock = std::chrono::steady_clock;

  explicit Transport(Socket socket);
  // TLS with this context; the handshake is the owner's to run.
  Transport(Socket socket, std::shared_ptr<boost::asio::ssl::context> context);

  executor_type get_executor() { return socket().get_executor(); }
  Socket& socket() { return state_->socket(); }
  TlsStream* tls() { return state_->tls ? &*state_->tls : nullptr; }

  void expires_at(Clock::time_point when);
  template <class Duration>
  void expires_after(Duration duration) { expires_at(Clock::now() + duration); }
  void expires_never() { state_->deadline = Clock::time_point::max(); }
  // How the caller should read the error an operation ended with: past the deadline,
  // whatever the socket said, it is beast::error::timeout.
  boost::beast::error_code outcome(const boost::beast::error_code& ec) const {
    return ec && state_->timed_out ? boost::beast::error::timeout : ec;
  }
  // Ends what is pending with operation_aborted, without closing.
  void cancel();
  // After a failed TLS handshake: the same socket, plain, to answer in plain HTTP.
  void drop_tls();

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& to) {
          if (state_->tls) {
            state_->tls->async_read_some(to, std::move(handler));
          } else {
            state_->plain->async_read_some(to, std::move(handler));
          }
        },
        token, buffers);
  }

  // Sends what a plain socket takes now, without waiting, and gives back the rest to
  // await (often nothing). An async_write that could finish at once still completes
  // through the loop's queue: an op, a resumption, often one more epoll_wait. TLS sends
  // nothing here; an error is left for the awaited write to meet and report.
  template <class ConstBuffers>
  boost::beast::buffers_suffix<ConstBuffers> send_at_once(const ConstBuffers& buffers) {
    boost::beast::buffers_suffix<ConstBuffers> rest(buffers);
    if (state_->tls) return rest;
    boost::beast::error_code ec;
    if (!state_->plain->non_blocking()) state_->plain->non_blocking(true, ec);
    if (!ec) rest.consume(state_->plain->write_some(buffers, ec));
    return rest;
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& from) {
          if (state_->tls) {
            state_->tls->async_write_some(from, std::move(handler));
          } else {
            state_->plain->async_write_some(from, std::move(handler));
          }
        },
        token, buffers);
  }

 private:
  // Shared with the timer's wait, which may complete after the connection is gone.
  struct State {
    State(Socket socket, std::shared_ptr<boost::asio::ssl::context> tls_context);
    Socket& socket() { return tls ? tls->next_layer() : *plain; }
    std::shared_ptr<boost::asio::ssl::context> context;  // declared first: outlives the stream using it
    std::optional<Socket> plain;
    std::optional<TlsStream> tls;
    Timer timer;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point armed = Clock::time_point::max();  // when the timer's wait ends
    bool timed_out = false;
  };
  static void arm(const std::shared_ptr<State>& state, Clock::time_point when);
  static void fired(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
};

}  // namespace causeway::http
