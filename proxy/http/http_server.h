#pragma once
// An HTTP/1.1 listener: one coroutine per connection on the IoThreads, requests
// read whole within the listener's limits, handed to a RequestHandler, answered in order.
// With a TLS context it is an HTTPS listener: the same, after a handshake.

#include <cstddef>
#include <memory>
#include <string>

#include "bridge/exchange.h"
#include "config/config.h"

namespace causeway::metrics {
class Registry;
}
namespace boost::asio::ssl {
class context;
}

namespace causeway::http {

class IoThreads;

class HttpServer {
 public:
  // `tls`: a server context (http/tls_context.h) for HTTPS, null for plain HTTP.
  HttpServer(std::string name, config::Endpoint endpoint, config::HttpLimits limits,
             std::shared_ptr<bridge::RequestHandler> handler, IoThreads& threads, metrics::Registry& registry,
             std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; throws std::runtime_error naming the address on failure.
  void start();
  // Requests read from now on go to this handler; those already handed over stay with theirs.
  void set_handler(std::shared_ptr<bridge::RequestHandler> handler);
  // Requests read from now on obey these limits (a reload changed them); those already
  // being read keep theirs.
  void set_limits(const config::HttpLimits& limits);
  // HTTPS: connections accepted from now on use this context (certificates a reload
  // re-read); open ones keep theirs. A listener is HTTPS or not for its whole life.
  void set_tls(std::shared_ptr<boost::asio::ssl::context> tls);

  // The bound address (the real port when the config asked for port 0).
  config::Endpoint local_endpoint() const;

  // Draining: stop accepting, close idle keep-alive connections, and let busy ones
  // close after their response.
  void drain();
  std::size_t open_connections() const;
  // The most connections open at once since the last call (at least those open now).
  std::size_t take_most_open();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace causeway::http
