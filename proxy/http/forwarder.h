#pragma once
// Forward routes: one request streamed from a client connection to an upstream and
// the response streamed back, neither body held whole (unless a retry needs a small
// request body kept). Hop-by-hop headers are dropped, X-Forwarded-For/-Proto/-Host
// (and -Client-Cert from a verified client certificate) and traceparent set; the
// upstream's failures become 502/504 while nothing has been sent back yet, and a
// closed connection after that. Either side may be TLS.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <string>

#include "bridge/forward_plan.h"
#include "config/config.h"
#include "http/bounded_parser.h"
#include "http/loop_executor.h"
#include "http/transport.h"

namespace causeway::http {

struct ForwardClient {
  Transport& stream;
  boost::beast::flat_buffer& buffer;
  // The request with its head read and its body not yet.
  BoundedRequestParser<boost::beast::http::string_body>& parser;
  std::string peer;         // the client's address, for X-Forwarded-For
  std::string scheme;       // "http" or "https", for X-Forwarded-Proto
  std::string client_cert;  // X-Forwarded-Client-Cert for a verified client certificate; empty: none
  std::size_t loop;         // the event loop this connection runs on
  const config::HttpLimits& limits;
  std::string& head_buffer;  // the connection's, for the heads it writes: their memory serves every request
};

// Returns whether the client connection may serve another request.
Task<bool> forward(const ForwardClient& client, const bridge::ForwardPlan& plan);

}  // namespace causeway::http
