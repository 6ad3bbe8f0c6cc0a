#pragma once
// One request and its response on an open upstream connection: what goes on the wire,
// the deadline and response limits, and what each way of failing means.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>

#include "config/config.h"
#include "http/loop_executor.h"
#include "http/transport.h"
#include "http/upstream_client.h"

namespace causeway::http {

using OutgoingRequest = boost::beast::http::request<boost::beast::http::string_body>;

// HTTP/1.1, target = base path + request target, Host = host:port, Content-Length when
// there is a body (and 0 for POST/PUT/PATCH without one), then the caller's headers
// except those the client sets itself, and any that could not be sent verbatim.
OutgoingRequest build_request(const config::Upstream& upstream, UpstreamRequest request);

struct ExchangeLimits {
  std::chrono::steady_clock::time_point deadline;
  std::size_t max_response_bytes = 0;
  config::Duration timeout{};  // the request timeout, for messages
};

struct ExchangeOutcome {
  UpstreamResult result;
  bool reusable = false;  // complete, keep-alive, nothing left unread
  bool stale = false;     // a reused connection broke before any response byte came
};

Task<ExchangeOutcome> exchange(Transport& stream, const OutgoingRequest& request,
                                                 bool reused, ExchangeLimits limits);

}  // namespace causeway::http
