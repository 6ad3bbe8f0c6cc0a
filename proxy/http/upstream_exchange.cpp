#include "http/upstream_exchange.h"

#include <algorithm>
#include <cctype>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <string_view>

#include "config/http_names.h"
#include "config/units.h"
#include "http/loop_executor.h"

namespace causeway::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Error = UpstreamResult::Error;

namespace {

constexpr std::uint32_t kHeaderLimit = 64 * 1024;

bool set_by_client(std::string_view name) {
  for (std::string_view ours : {"host", "content-length", "transfer-encoding", "connection"}) {
    if (config::same_name(name, ours)) return true;
  }
  return false;
}

// Beast writes fields as given: a name that is not a token or a value with CR or LF
// would let a caller's header split the request.
bool writable(const bridge::Header& header) {
  auto token_char = [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  };
  return !header.name.empty() && std::all_of(header.name.begin(), header.name.end(), token_char) &&
         header.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

bool carries_body(bhttp::verb method) {
  return method == bhttp::verb::post || method == bhttp::verb::put || method == bhttp::verb::patch;
}

ExchangeOutcome failed(Error error, std::string detail, bool stale = false) {
  ExchangeOutcome outcome;
  outcome.result.error = error;
  outcome.result.detail = std::move(detail);
  outcome.stale = stale;
  return outcome;
}

std::string within(const ExchangeLimits& limits) { return "within " + config::format_duration(limits.timeout); }

bool closed_by_peer(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == bhttp::error::end_of_stream ||
         ec == bhttp::error::partial_message || ec == asio::ssl::error::stream_truncated;
}

ExchangeOutcome read_failure(const beast::error_code& ec, const ExchangeLimits& limits) {
  if (ec == beast::error::timeout) return failed(Error::timeout, "no whole response " + within(limits));
  if (closed_by_peer(ec)) return failed(Error::reset, "connection closed mid-response");
  if (ec == bhttp::error::header_limit) return failed(Error::bad_response, "response headers over 64KiB");
  if (ec == bhttp::error::body_limit) {
    return failed(Error::bad_response, "response body over " + config::format_size(limits.max_response_bytes));
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    return failed(Error::bad_response, "malformed response: " + ec.message());
  }
  return failed(Error::reset, "connection broke mid-response: " + ec.message());
}

Task<std::optional<ExchangeOutcome>> send(Transport& stream, const OutgoingRequest& request,
                                                     bool reused, const ExchangeLimits& limits) {
  auto [write_ec, n] = co_await bhttp::async_write(stream, request, use_tuple);
  const auto ec = stream.outcome(write_ec);
  if (!ec) co_return std::nullopt;
  if (ec == beast::error::timeout) co_return failed(Error::timeout, "request not sent " + within(limits));
  co_return failed(Error::reset, "connection broke while sending: " + ec.message(), reused);
}

// Waits for the first response byte on its own, so that a pooled connection the server
// had closed (nothing at all comes back) is told apart from one that broke mid-response.
Task<std::optional<ExchangeOutcome>> await_response(Transport& stream, beast::flat_buffer& buffer,
                                                               bool reused, const ExchangeLimits& limits) {
  auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(16 * 1024), use_tuple);
  buffer.commit(n);
  const auto ec = stream.outcome(read_ec);
  if (!ec) co_return std::nullopt;
  if (ec == beast::error::timeout) co_return failed(Error::timeout, "no response " + within(limits));
  const bool peer_closed = closed_by_peer(ec);
  co_return failed(Error::reset,
                   peer_closed ? "connection closed before any response" : "connection broke: " + ec.message(),
                   reused && peer_closed);
}

bridge::Response to_response(bhttp::response<bhttp::string_body>&& message) {
  bridge::Response response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.push_back({boost::algorithm::to_lower_copy(std::string(field.name_string())), std::string(field.value())});
  }
  response.body = std::move(message.body());
  return response;
}

Task<ExchangeOutcome> read_response(Transport& stream, beast::flat_buffer& buffer, bool head,
                                               const ExchangeLimits& limits) {
  for (;;) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(limits.max_response_bytes);
    if (head) parser.skip(true);  // the headers describe a body that is not sent
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (ec) co_return read_failure(stream.outcome(ec), limits);
    const unsigned status = parser.get().result_int();
    if (status / 100 == 1 && status != 101) continue;  // interim (100 Continue, 103): the answer follows
    if (!parser.is_done()) {
      auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (body_ec) co_return read_failure(stream.outcome(body_ec), limits);
    }
    ExchangeOutcome outcome;
    // Leftover bytes were never asked for: the connection's framing cannot be trusted.
    outcome.reusable = parser.keep_alive() && status != 101 && buffer.size() == 0;
    outcome.result.response = to_response(parser.release());
    co_return outcome;
  }
}

}  // namespace

OutgoingRequest build_request(const config::Upstream& upstream, UpstreamRequest request) {
  OutgoingRequest message;
  message.version(11);
  message.method_string(request.method.empty() ? "GET" : request.method);
  std::string target = upstream.base_path + request.target;
  if (!target.starts_with('/')) target.insert(0, "/");
  message.target(target);
  message.set(bhttp::field::host, config::Endpoint{upstream.host, upstream.port}.text());
  for (const auto& header : request.headers) {
    if (!set_by_client(header.name) && writable(header)) message.insert(header.name, header.value);
  }
  if (!request.body.empty() || carries_body(message.method())) message.content_length(request.body.size());
  message.body() = std::move(request.body);
  return message;
}

Task<ExchangeOutcome> exchange(Transport& stream, const OutgoingRequest& request, bool reused,
                                          ExchangeLimits limits) {
  stream.expires_at(limits.deadline);
  if (auto failure = co_await send(stream, request, reused, limits)) co_return std::move(*failure);
  beast::flat_buffer buffer;
  // Silence after a request that was written whole may also mean the server read it
  // and died: sending it again is only harmless for an idempotent method.
  const bool resendable = reused && config::is_idempotent_method(request.method_string());
  if (auto failure = co_await await_response(stream, buffer, resendable, limits)) co_return std::move(*failure);
  auto outcome = co_await read_response(stream, buffer, request.method() == bhttp::verb::head, limits);
  stream.expires_never();
  co_return outcome;
}

}  // namespace causeway::http
