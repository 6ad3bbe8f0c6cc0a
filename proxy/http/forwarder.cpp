#include "http/forwarder.h"

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <span>
#include <string_view>
#include <vector>
#include <tuple>

#include "bridge/failure.h"
#include "bridge/trace_context.h"
#include "config/http_names.h"
#include "http/flat_response_parser.h"
#include "http/loop_executor.h"
#include "http/request_checks.h"
#include "http/upstream_client.h"
#include "http/upstream_pool.h"
#include "http/wire_head.h"
#include "policy/backoff.h"

namespace causeway::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using bridge::Failure;
using Clock = std::chrono::steady_clock;

namespace {

// How a client hears that its body could not be read: too long, a trailer over the
// header limit, a chunk header longer than the read buffer, or broken framing.
std::pair<Failure, std::string> body_read_failure(const beast::error_code& ec, std::string otherwise) {
  if (ec == bhttp::error::body_limit) return {Failure::body_too_large, "request body is too large"};
  if (ec == bhttp::error::header_limit) return {Failure::headers_too_large, "the request's trailer is too large"};
  if (ec == bhttp::error::buffer_overflow) {
    return {Failure::bad_request, "a chunk header or trailer is longer than the header limit"};
  }
  return {Failure::bad_request, std::move(otherwise)};
}

// A request body up to this size is read whole when the route retries, so that a
// retry can send it again; a larger one is streamed and never retried.
constexpr std::size_t kRetryBodyBytes = 64 * 1024;
constexpr std::size_t kChunkBytes = 16 * 1024;

// The field names a Connection header lists (RFC 9110 7.6.1), as views into the head they came from.
using ConnectionTokens = std::vector<std::string_view>;

// RFC 9110 7.6.1: meaningful for one connection only, never passed on. Known names
// are compared by Beast's field code, which the parser already worked out. `Field` is
// Beast's or FlatFields': requests come in Beast's, responses in flat ones.
template <class Field>
bool is_hop_by_hop(const Field& field, const ConnectionTokens& listed_in_connection) {
  switch (field.name()) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::proxy_connection:
    case bhttp::field::proxy_authenticate:
    case bhttp::field::proxy_authorization:
    case bhttp::field::te:
    case bhttp::field::trailer:
    case bhttp::field::transfer_encoding:
    case bhttp::field::upgrade: return true;
    default: break;
  }
  const auto name = field.name_string();
  return std::any_of(listed_in_connection.begin(), listed_in_connection.end(),
                     [&](std::string_view token) { return config::same_name(token, name); });
}

template <class Fields>
ConnectionTokens connection_tokens(const Fields& fields) {
  ConnectionTokens tokens;
  for (auto&& field : fields) {
    if (field.name() != bhttp::field::connection) continue;
    for (auto token : bhttp::token_list{field.value()}) {
      // The usual options, which name no field to drop: Keep-Alive is hop-by-hop by its code
      // already, and "close" is reserved as a field name (RFC 9110 7.6.1).
      if (config::same_name(token, "close") || config::same_name(token, "keep-alive")) continue;
      tokens.emplace_back(token.data(), token.size());
    }
  }
  return tokens;
}

bool retried_status(const config::RetryPolicy::On& on, int status) {
  if (on.any_5xx && status >= 500) return true;
  return std::find(on.statuses.begin(), on.statuses.end(), status) != on.statuses.end();
}

bool retried_error(const config::RetryPolicy::On& on, UpstreamResult::Error error) {
  switch (error) {
    case UpstreamResult::Error::connect_failed: return on.connect_failure;
    case UpstreamResult::Error::reset: return on.reset;
    case UpstreamResult::Error::timeout: return on.timeout;
    default: return false;
  }
}

// The upstream request's head up to its framing: the request line, Host, the client's
// fields without hop-by-hop ones and those Causeway sets itself, then X-Forwarded-*
// and a continued trace.
void write_request_head(WireHead& out, const bhttp::request_header<>& in, const bridge::ForwardPlan& plan,
                        const UpstreamClient& upstream, const ForwardClient& client) {
  out.request_line(plan.method, upstream.upstream().base_path, plan.target);
  out.field("Host", upstream.host_header());
  const auto listed = connection_tokens(in);
  const std::string* traceparent = nullptr;
  std::string trace_value, state_value;
  std::optional<std::string_view> client_host;  // the first Host field, as Beast's find() gave it
  for (const auto& field : in) {
    if (is_hop_by_hop(field, listed)) continue;
    const auto code = field.name();
    if (code == bhttp::field::host) {
      if (!client_host) client_host = field.value();
      continue;
    }
    if (code == bhttp::field::content_length || code == bhttp::field::expect) continue;
    const auto name = field.name_string();
    if (code == bhttp::field::unknown) {  // Beast has no codes for the names below
      // Set below from the client's connection, never taken from what the client claims.
      if (config::same_name(name, "x-forwarded-for") || config::same_name(name, "x-forwarded-proto") ||
          config::same_name(name, "x-forwarded-host") || config::same_name(name, "x-forwarded-client-cert")) {
        continue;
      }
      if (config::same_name(name, "traceparent")) {
        trace_value = std::string(field.value());
        traceparent = &trace_value;
        continue;
      }
      if (config::same_name(name, "tracestate")) {
        state_value = std::string(field.value());
        continue;
      }
    }
    out.field(name, field.value());
  }
  out.field("x-forwarded-for", client.peer);
  out.field("x-forwarded-proto", client.scheme);
  if (auto authority = target_authority(in.target()); !authority.empty()) {
    out.field("x-forwarded-host", authority);
  } else if (client_host) {
    out.field("x-forwarded-host", *client_host);
  }
  if (!client.client_cert.empty()) out.field("x-forwarded-client-cert", client.client_cert);
  auto trace = bridge::continue_trace(traceparent, state_value.empty() ? nullptr : &state_value);
  out.field("traceparent", trace.traceparent);
  if (trace.tracestate) out.field("tracestate", *trace.tracestate);
}

// The buffers of one write of a streamed body: the head if it has not gone yet, then the
// piece, framed as a chunk when the body is chunked (the last one closes the body).
class BodyPiece {
 public:
  BodyPiece(std::string_view head, const char* data, std::size_t size, bool chunked, bool last)
      : size_line_(size) {
    if (!head.empty()) add(head);
    if (chunked && size > 0) add(size_line_.text());
    if (size > 0) add({data, size});
    if (chunked && size > 0) add(kChunkEnd);
    if (chunked && last) add(kLastChunk);
  }
  std::span<const asio::const_buffer> buffers() const { return {buffers_.data(), count_}; }

 private:
  void add(std::string_view bytes) { buffers_[count_++] = asio::buffer(bytes.data(), bytes.size()); }
  ChunkSize size_line_;
  std::array<asio::const_buffer, 5> buffers_;
  std::size_t count_ = 0;
};

struct Attempt {
  UpstreamResult::Error error = UpstreamResult::Error::none;
  std::string detail;
  bool nothing_read = false;  // broke before any byte of response came
};

class Forwarding {
 public:
  using ResponseParser = std::optional<FlatResponseParser>;

  Forwarding(const ForwardClient& client, const bridge::ForwardPlan& plan)
      : client_(client),
        plan_(plan),
        upstream_client_(*std::static_pointer_cast<UpstreamClient>(plan.upstream)),
        upstream_(upstream_client_.upstream()),
        pool_(upstream_client_.pool()),
        started_(Clock::now()),
        deadline_(started_ + plan.timeout) {}

  // The Forwarding lives in this coroutine's frame: one frame per request, not two.
  static Task<bool> run(const ForwardClient& client, const bridge::ForwardPlan& plan) {
    Forwarding self(client, plan);
    const auto& head = client.parser.get();
    self.client_keep_alive_ = head.keep_alive();
    self.client_version_ = head.version();
    self.head_only_ = plan.method == "HEAD";

    const auto length = client.parser.content_length();
    const bool has_body = (length && *length > 0) || client.parser.chunked();
    if (has_body && head.version() >= 11 && config::same_name(head[bhttp::field::expect], "100-continue")) {
      // The body is asked for here, as the buffered path does, and never by the upstream.
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      client.stream.expires_after(client.limits.body_timeout);
      auto [ec, n] = co_await bhttp::async_write(client.stream, go_on, use_tuple);
      if (ec) co_return false;
    }
    const bool may_retry = plan.retry.attempts > 1;
    if (!has_body || (may_retry && length && *length <= kRetryBodyBytes)) {
      if (has_body && !co_await self.read_whole_body()) co_return false;
      co_return co_await self.with_retries(head);
    }
    co_return co_await self.streamed(head);
  }

 private:
  Task<bool> read_whole_body() {
    client_.stream.expires_after(client_.limits.body_timeout);
    auto [ec, n] = co_await bhttp::async_read(client_.stream, client_.buffer, client_.parser, use_tuple);
    client_.stream.expires_never();
    if (ec) {
      auto [failure, message] = body_read_failure(ec, "malformed request body");
      co_await answer_error(failure, message);
      co_return false;
    }
    body_ = std::move(client_.parser.get().body());
    co_return true;
  }

  // The body is at hand (or there is none): send it as often as the route allows.
  Task<bool> with_retries(const bhttp::request_header<>& head) {
    WireHead wire(client_.head_buffer);
    write_request_head(wire, head, plan_, upstream_client_, client_);
    // As Beast frames a whole body: a length when there is one or the method expects a body.
    if (!body_.empty() || plan_.method == "POST" || plan_.method == "PUT" || plan_.method == "OPTIONS") {
      wire.content_length(body_.size());
    }
    wire.end();
    const bool retry_allowed = config::is_idempotent_method(plan_.method);
    for (int attempt = 1;; ++attempt) {
      // The route's timeout bounds each attempt, so a timed-out attempt can be retried.
      if (attempt > 1) deadline_ = Clock::now() + plan_.timeout;
      auto lease = pool_->acquire_at_once(client_.loop).value_or(UpstreamPool::Lease{});
      if (still_to_wait(lease)) lease = co_await pool_->acquire(client_.loop, deadline_);
      if (!lease.connection) {
        if (attempt < plan_.retry.attempts && retried_error(plan_.retry.on, lease.error)) {
          record_failure(lease.error, lease.detail);
          co_await back_off(attempt);
          continue;
        }
        co_return co_await fail(lease.error, lease.detail);
      }
      ResponseParser response;
      auto sent = co_await exchange_whole(lease, response);
      if (sent.error == UpstreamResult::Error::none) {
        const int status = response->status();
        if (attempt < plan_.retry.attempts && retry_allowed && retried_status(plan_.retry.on, status)) {
          record(status, false);
          co_await back_off(attempt);
          continue;  // the connection goes with this attempt: its body is unread
        }
        co_return co_await relay_response(std::move(lease.connection), *response);
      }
      // A request that never reached the upstream may go again, whatever its method.
      const bool unsent = sent.error == UpstreamResult::Error::connect_failed;
      if (attempt < plan_.retry.attempts && (retry_allowed || unsent) && retried_error(plan_.retry.on, sent.error)) {
        record_failure(sent.error, sent.detail);
        co_await back_off(attempt);
        continue;
      }
      co_return co_await fail(sent.error, sent.detail);
    }
  }

  // A body too large (or of unknown size) to keep: streamed as it arrives, sent once.
  Task<bool> streamed(const bhttp::request_header<>& head) {
    const auto length = client_.parser.content_length();
    const bool chunked = !length;
    WireHead wire(client_.head_buffer);
    write_request_head(wire, head, plan_, upstream_client_, client_);  // before the parser moves: `head` lives in it
    if (chunked) {
      wire.field("Transfer-Encoding", "chunked");
    } else {
      wire.content_length(*length);
    }
    wire.end();
    BoundedRequestParser<bhttp::buffer_body> in{std::move(client_.parser)};
    body_parser_ = &in;
    // The body bytes that came with the head are parsed before anything goes upstream:
    // framing broken there (a bad chunk size, data longer than its chunk) is a 400 with
    // not one byte of the request sent on, as for a head that failed.
    std::array<char, kChunkBytes> chunk;
    auto [early_ec, early_size] = parse_buffered(client_.buffer, in, chunk);
    if (early_ec) {
      auto [failure, message] = body_read_failure(early_ec, "malformed request body");
      co_await answer_error(failure, message);
      co_return false;
    }
    // A chunked body's first data is waited for too: the chunk header before it may be
    // what is broken (an extension longer than the limit, more than one read's worth).
    while (in.chunked() && early_size == 0 && !in.is_done()) {
      client_.stream.expires_after(client_.limits.body_timeout);
      std::tie(early_ec, early_size) = co_await read_piece(client_.stream, client_.buffer, in, chunk);
      client_.stream.expires_never();
      if (early_ec) {
        auto [failure, message] = body_read_failure(early_ec, "request body broke off");
        co_await answer_error(failure, message);
        co_return false;
      }
    }
    auto lease = pool_->acquire_at_once(client_.loop).value_or(UpstreamPool::Lease{});
    if (still_to_wait(lease)) lease = co_await pool_->acquire(client_.loop, deadline_);
    if (!lease.connection) co_return co_await fail(lease.error, lease.detail);
    auto& upstream = lease.connection->stream();

    // With body bytes at hand, the head goes out with the first of them, in one write;
    // otherwise (a Content-Length body still to come) at once, so that the upstream may start on it.
    std::string_view unsent_head = client_.head_buffer;
    bool piece_at_hand = early_size > 0 || in.is_done();
    std::size_t size = early_size;
    if (!piece_at_hand) {
      upstream.expires_at(deadline_);
      if (auto rest = upstream.send_at_once(asio::buffer(unsent_head)); beast::buffer_bytes(rest) > 0) {
        if (auto [ec, n] = co_await asio::async_write(upstream, rest, use_tuple); ec) {
          co_return co_await fail(error_of(upstream, ec), "cannot send to the upstream: " + ec.message());
        }
      }
      unsent_head = {};
    }
    for (bool sent_last = false; !sent_last;) {
      if (!piece_at_hand) {
        client_.stream.expires_after(client_.limits.body_timeout);
        auto [ec, read] = co_await read_piece(client_.stream, client_.buffer, in, chunk);
        client_.stream.expires_never();
        if (ec) {
          // The client broke off or sent too much: the upstream connection is dropped unfinished.
          auto [failure, message] = body_read_failure(ec, "request body broke off");
          co_await answer_error(failure, message);
          co_return false;
        }
        if (read == 0 && !in.is_done()) continue;  // framing only (a chunk header): nothing to pass on yet
        size = read;
      }
      piece_at_hand = false;
      sent_last = in.is_done();
      const BodyPiece piece(unsent_head, chunk.data(), size, chunked, sent_last);
      unsent_head = {};
      if (piece.buffers().empty()) continue;
      upstream.expires_at(deadline_);
      if (auto rest = upstream.send_at_once(piece.buffers()); beast::buffer_bytes(rest) > 0) {
        if (auto [ec, n] = co_await asio::async_write(upstream, rest, use_tuple); ec) {
          co_return co_await fail(error_of(upstream, ec), "the upstream broke off while receiving: " + ec.message());
        }
      }
    }
    ResponseParser response;
    auto got = co_await read_head(*lease.connection, response);
    if (got.error != UpstreamResult::Error::none) co_return co_await fail(got.error, got.detail);
    co_return co_await relay_response(std::move(lease.connection), *response);
  }

  // Where a parser puts the body bytes it reads: a request's buffer_body or a flat response's window.
  template <class Parser>
  static void open_window(Parser& parser, std::array<char, kChunkBytes>& chunk) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
  }
  static void open_window(FlatResponseParser& parser, std::array<char, kChunkBytes>& chunk) {
    parser.open_window(chunk.data(), chunk.size());
  }
  template <class Parser>
  static std::size_t window_left(const Parser& parser) {
    return parser.get().body().size;
  }
  static std::size_t window_left(const FlatResponseParser& parser) { return parser.window_left(); }

  // Parses the body bytes already read, up to a chunk, without waiting for more: the
  // size of body data that gave, or the framing error it ran into.
  template <class Parser>
  static std::pair<beast::error_code, std::size_t> parse_buffered(beast::flat_buffer& buffer, Parser& parser,
                                                                  std::array<char, kChunkBytes>& chunk) {
    open_window(parser, chunk);
    beast::error_code ec;
    while (buffer.size() > 0 && !parser.is_done() && window_left(parser) > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more || ec == bhttp::error::need_buffer) {
        ec = {};
        break;
      }
      if (ec || used == 0) break;
    }
    return {ec, chunk.size() - window_left(parser)};
  }

  // Neither a connection nor an error yet: acquire_at_once() found no idle connection.
  // Asking it first spares the pool's coroutine in the usual case.
  static bool still_to_wait(const UpstreamPool::Lease& lease) {
    return !lease.connection && lease.error == UpstreamResult::Error::none;
  }

  // Reads whatever part of a body has arrived (up to a chunk), so that a slow sender's
  // pieces are passed on as they come rather than when a chunk fills up.
  template <class Stream, class Parser>
  static Task<std::pair<beast::error_code, std::size_t>> read_piece(Stream& stream, beast::flat_buffer& buffer,
                                                                    Parser& parser,
                                                                    std::array<char, kChunkBytes>& chunk) {
    open_window(parser, chunk);
    auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, use_tuple);
    if (ec == bhttp::error::need_buffer) ec = {};  // the chunk is full
    co_return std::pair{ec, chunk.size() - window_left(parser)};
  }

  // Sends the request and reads the response head. A pooled connection that breaks
  // before any byte of response was closed by the upstream while it sat idle: the
  // request goes once more on a fresh one, since the upstream never read it.
  Task<Attempt> exchange_whole(UpstreamPool::Lease& lease, ResponseParser& response) {
    const std::array request{asio::buffer(client_.head_buffer), asio::buffer(body_)};
    for (bool first = true;; first = false) {
      auto& connection = *lease.connection;
      connection.stream().expires_at(deadline_);
      beast::error_code ec;
      if (auto rest = connection.stream().send_at_once(request); beast::buffer_bytes(rest) > 0) {
        std::tie(ec, std::ignore) = co_await asio::async_write(connection.stream(), rest, use_tuple);
      }
      Attempt outcome;
      bool written = !ec;
      if (ec) {
        outcome = Attempt{error_of(connection.stream(), ec), "cannot send to the upstream: " + ec.message()};
        outcome.nothing_read = true;
      } else {
        outcome = co_await read_head(connection, response);
      }
      // Unwritten, or silence after a whole request of a method that may run twice.
      const bool resendable = !written || config::is_idempotent_method(plan_.method);
      const bool stale = outcome.error == UpstreamResult::Error::reset && outcome.nothing_read &&
                         connection.reused() && resendable;
      if (!stale || !first) co_return outcome;
      lease = co_await pool_->replace(std::move(lease.connection), deadline_);
      if (!lease.connection) co_return Attempt{lease.error, lease.detail};
    }
  }

  // Reads the response head, skipping interim 1xx answers.
  Task<Attempt> read_head(UpstreamConnection& connection, ResponseParser& response) {
    for (;;) {
      response.emplace(connection.head_fields());
      response->header_limit(64 * 1024);
      response->body_limit(boost::none);  // streamed: no whole body is ever held
      if (head_only_) response->skip(true);
      connection.stream().expires_at(deadline_);
      auto [ec, n] = co_await bhttp::async_read_header(connection.stream(), connection.buffer(), *response, use_tuple);
      if (ec) {
        if (connection.stream().outcome(ec) == beast::error::timeout) {
          co_return Attempt{UpstreamResult::Error::timeout,
                            "no response within " + std::to_string(plan_.timeout.count()) + "ms"};
        }
        const bool garbage = ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
                             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
        Attempt broken{garbage ? UpstreamResult::Error::bad_response : UpstreamResult::Error::reset,
                       "the upstream's answer broke off: " + ec.message()};
        broken.nothing_read = n == 0 && connection.buffer().size() == 0;
        co_return broken;
      }
      const int status = response->status();
      if (status >= 200 || status == 101) co_return Attempt{};
      // An interim answer (103, ...): the real one follows.
    }
  }

  // The response head goes to the client, then its body as it arrives.
  Task<bool> relay_response(std::unique_ptr<UpstreamConnection> connection, FlatResponseParser& in) {
    const int status = in.status();
    record(status, true);
    auto& upstream_buffer = connection->buffer();
    WireHead wire(client_.head_buffer);
    wire.status_line(client_version_, status, in.reason());
    const auto listed = connection_tokens(in.fields());
    for (auto&& field : in.fields()) {
      if (is_hop_by_hop(field, listed) || field.name() == bhttp::field::content_length) continue;
      wire.field(field.name_string(), field.value());
    }
    const bool bodiless = head_only_ || status < 200 || status == 204 || status == 304;
    bool keep_alive = client_keep_alive_;
    bool chunked = false;
    if (auto length = in.content_length()) {
      wire.content_length(*length);
    } else if (!bodiless) {
      if (client_version_ >= 11) {
        chunked = true;
        wire.field("Transfer-Encoding", "chunked");
      } else {
        keep_alive = false;  // an HTTP/1.0 client learns the end of the body from the close
      }
    }
    wire.keep_alive(client_version_, keep_alive);
    wire.end();
    // As for requests: a body already at hand leaves with the head, in one write.
    std::string_view unsent_head = client_.head_buffer;
    if (bodiless || upstream_buffer.size() == 0) {
      client_.stream.expires_after(client_.limits.idle_timeout);
      if (auto rest = client_.stream.send_at_once(asio::buffer(unsent_head)); beast::buffer_bytes(rest) > 0) {
        if (auto [ec, n] = co_await asio::async_write(client_.stream, rest, use_tuple); ec) co_return false;
      }
      unsent_head = {};
    }
    if (bodiless) {
      if (in.is_done() && in.keep_alive() && upstream_buffer.size() == 0) pool_->release(std::move(connection));
      co_return keep_alive;
    }
    std::array<char, kChunkBytes> chunk;
    for (bool sent_last = false; !sent_last;) {
      std::size_t size = 0;
      if (!in.is_done()) {
        // Body bytes that came with the head (or with the last read) are parsed at once,
        // without a read operation and its coroutine: a small body is all there.
        auto [ec, read] = parse_buffered(upstream_buffer, in, chunk);
        if (!ec && read == 0 && !in.is_done()) {
          connection->stream().expires_at(deadline_);
          std::tie(ec, read) = co_await read_piece(connection->stream(), upstream_buffer, in, chunk);
        }
        if (ec) co_return false;  // mid-body: the client sees the cut
        if (read == 0 && !in.is_done()) continue;
        size = read;
      }
      sent_last = in.is_done();
      const BodyPiece piece(unsent_head, chunk.data(), size, chunked, sent_last);
      unsent_head = {};
      if (piece.buffers().empty()) continue;
      client_.stream.expires_after(client_.limits.idle_timeout);
      if (auto rest = client_.stream.send_at_once(piece.buffers()); beast::buffer_bytes(rest) > 0) {
        if (auto [ec, n] = co_await asio::async_write(client_.stream, rest, use_tuple); ec) co_return false;
      }
    }
    client_.stream.expires_never();
    if (in.keep_alive() && upstream_buffer.size() == 0) pool_->release(std::move(connection));
    co_return keep_alive;
  }

  // Waits before attempt + 1.
  Task<void> back_off(int attempt) {
    auto delay = policy::jittered_backoff(plan_.retry.backoff, plan_.retry.max_backoff, attempt, policy::unit_random());
    Timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(use_tuple);
  }

  static UpstreamResult::Error error_of(const Transport& upstream, const beast::error_code& ec) {
    return upstream.outcome(ec) == beast::error::timeout ? UpstreamResult::Error::timeout : UpstreamResult::Error::reset;
  }

  // The upstream failed before anything went back to the client: 502, or 504 for a timeout.
  Task<bool> fail(UpstreamResult::Error error, const std::string& detail) {
    record_failure(error, detail);
    const auto failure = error == UpstreamResult::Error::timeout ? Failure::timeout : Failure::bad_gateway;
    co_return co_await answer_error(failure, "upstream '" + upstream_.name + "': " + detail);
  }

  // Answers with one of Causeway's errors; the body (if any is left) is not read, so
  // the connection closes unless the request was read whole.
  Task<bool> answer_error(Failure failure, const std::string& message) {
    auto error = bridge::failure_response(failure, message, plan_.route);
    plan_.stats->record(error.status, Clock::now() - started_);
    bhttp::response<bhttp::string_body> response;
    response.version(client_version_);
    response.result(error.status);
    for (const auto& header : error.headers) response.insert(header.name, header.value);
    response.body() = std::move(error.body);
    // A body left unread leaves the connection unusable.
    const bool body_read = body_parser_ ? body_parser_->is_done() : client_.parser.is_done();
    const bool keep_alive = client_keep_alive_ && body_read;
    response.keep_alive(keep_alive);
    response.prepare_payload();
    client_.stream.expires_after(client_.limits.idle_timeout);
    auto [ec, n] = co_await bhttp::async_write(client_.stream, response, use_tuple);
    co_return !ec && keep_alive;
  }

  // A failed exchange: counted for the upstream and its breaker, retried or not.
  void record_failure(UpstreamResult::Error error, const std::string& detail) {
    UpstreamResult result;
    result.error = error;
    result.detail = detail;
    upstream_client_.record(client_.loop, result, started_);
    if (plan_.breaker) plan_.breaker->failed(Clock::now());
  }

  void record(int status, bool final) {
    UpstreamResult result;
    result.response.emplace();
    result.response->status = status;
    upstream_client_.record(client_.loop, result, started_);
    if (plan_.breaker) {
      if (status >= 500) {
        plan_.breaker->failed(Clock::now());
      } else {
        plan_.breaker->succeeded();
      }
    }
    if (final) plan_.stats->record(status, Clock::now() - started_);
  }

  ForwardClient client_;
  const bridge::ForwardPlan& plan_;
  UpstreamClient& upstream_client_;
  const config::Upstream& upstream_;
  std::shared_ptr<UpstreamPool> pool_;
  Clock::time_point started_;
  Clock::time_point deadline_;
  std::string body_;
  // Once streaming, the request's parser: the client's own was moved into it.
  BoundedRequestParser<bhttp::buffer_body>* body_parser_ = nullptr;
  bool client_keep_alive_ = true;
  unsigned client_version_ = 11;
  bool head_only_ = false;
};

}  // namespace

Task<bool> forward(const ForwardClient& client, const bridge::ForwardPlan& plan) {
  return Forwarding::run(client, plan);
}

}  // namespace causeway::http
