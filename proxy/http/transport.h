#pragma once
// A connection's byte stream: TCP, or TLS over TCP. The listener, the forwarder and
// the upstream pool read and write through this one type, so their HTTP code is
// written once for both; which of the two a connection is was decided when it was
// made. Deadlines are Beast's tcp_stream's, on the TCP layer under either.

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

namespace causeway::http {

class Transport {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  explicit Transport(boost::asio::ip::tcp::socket socket);
  // TLS with this context; the handshake is the owner's to run.
  Transport(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> context);

  executor_type get_executor() { return tcp().get_executor(); }
  boost::beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }

  template <class Duration>
  void expires_after(Duration duration) { tcp().expires_after(duration); }
  template <class TimePoint>
  void expires_at(TimePoint when) { tcp().expires_at(when); }
  void expires_never() { tcp().expires_never(); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& to) {
          if (tls_) {
            tls_->async_read_some(to, std::move(handler));
          } else {
            plain_->async_read_some(to, std::move(handler));
          }
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& from) {
          if (tls_) {
            tls_->async_write_some(from, std::move(handler));
          } else {
            plain_->async_write_some(from, std::move(handler));
          }
        },
        token, buffers);
  }

 private:
  std::shared_ptr<boost::asio::ssl::context> context_;  // declared first: outlives the stream using it
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
};

}  // namespace causeway::http
