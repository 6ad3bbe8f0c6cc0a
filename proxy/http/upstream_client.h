#pragma once
// The one HTTP client of the project: a keep-alive connection pool per upstream,
// with connect and request timeouts and a bound on connections. Delivery, forwarding
// and transcoding all call their services through it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/admission.h"
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
class UpstreamPool;

struct UpstreamRequest {
  std::string method = "GET";
  std::string target;  // path and query, appended to the upstream's base path
  bridge::Headers headers;  // lower-case names; Host, Content-Length and Connection are set by the client
  std::string body;
  // The route's own timeout (to.timeout), when it has one; else the upstream's.
  std::optional<config::Duration> timeout;
};

struct UpstreamResult {
  enum class Error {
    none,
    connect_failed,  // refused, unreachable, or no connection within connect_timeout
    timeout,         // no whole response within the request timeout
    reset,           // the connection broke after the request was (partly) sent
    bad_response,    // not HTTP, or a response larger than max_response_bytes
    unavailable,     // not sent: the upstream's circuit breaker is open
  };
  Error error = Error::none;
  std::string detail;                     // what happened, for logs and error bodies
  std::optional<bridge::Response> response;  // when error == none
};

class UpstreamClient {
 public:
  // `tls`: the client context of an https upstream (http/tls_context.h), null for http.
  // `breaker`: the upstream's circuit breaker, shared with every caller of it (forwards
  // consult the same one), null for none.
  UpstreamClient(const config::Upstream& upstream, IoThreads& threads, metrics::Registry& registry,
                 std::shared_ptr<boost::asio::ssl::context> tls = nullptr,
                 std::shared_ptr<bridge::CircuitBreaker> breaker = nullptr);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends from any thread; `done` runs once, on one of the IoThreads.
  void send(UpstreamRequest request, std::function<void(UpstreamResult)> done);

  const config::Upstream& upstream() const;
  // The Host value of requests to it, "host:port", written once rather than per request.
  const std::string& host_header() const;

  // For streaming forwards, which run their own exchange on a pooled connection and
  // count it here like any other request (result.response may carry only the status).
  std::shared_ptr<UpstreamPool> pool() const;
  void record(std::size_t loop, const UpstreamResult& result, std::chrono::steady_clock::time_point start);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace causeway::http
