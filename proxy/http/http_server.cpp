#include "http/http_server.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <array>
#include <mutex>
#include <stdexcept>
#include <unordered_set>
#include <vector>

#include "bridge/body_stream.h"
#include "bridge/failure.h"
#include "config/http_names.h"
#include "http/bounded_parser.h"
#include "http/forwarder.h"
#include "http/io_threads.h"
#include "http/loop_executor.h"
#include "http/request_checks.h"
#include "http/tls_session.h"
#include "http/transport.h"
#include "http/wire_head.h"
#include "metrics/registry.h"

namespace causeway::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using bridge::Failure;

namespace {

// A close_notify is one small record: a client that cannot take it within this is gone.
constexpr auto kCloseNotifyTimeout = std::chrono::seconds(1);
// After an early answer (413, 431, 400) the client may still be sending: what is read and
// dropped before the close, so that the close does not reset the connection under the
// answer (nginx's lingering close, Envoy's delayed close).
constexpr auto kLingerTime = std::chrono::seconds(5);
constexpr std::size_t kLingerBytes = 64 * 1024 * 1024;
// The first read of an idle keep-alive connection: it sets the buffer's capacity, which
// stays with the connection. Most heads fit; a larger one grows the buffer as Beast reads
// on. 16 KiB here cost ~3 KB more resident per idle connection (bench/NOTES.md).
constexpr std::size_t kIdleReadBytes = 1024;

// The request as the flows see it, taken from the head as soon as it is read: fields
// that arrive later in a chunked body's trailer never join the headers. Routing needs
// only the request line, so the headers are copied once a route is known to want them.
bridge::Request request_line_of(const bhttp::request_parser<bhttp::string_body>::value_type& head) {
  bridge::Request request;
  request.method = std::string(head.method_string());
  std::string_view target = origin_form(head.target());
  auto query = target.find('?');
  request.path = std::string(target.substr(0, query));
  if (query != std::string_view::npos) request.query = std::string(target.substr(query + 1));
  return request;
}

void add_headers(bridge::Request& request, const bhttp::request_parser<bhttp::string_body>::value_type& head) {
  request.headers.reserve(std::distance(head.begin(), head.end()));
  for (const auto& field : head) request.headers.push_back({config::lower_case(field.name_string()), std::string(field.value())});
}

bridge::Request from_head(const bhttp::request_parser<bhttp::string_body>::value_type& head) {
  auto request = request_line_of(head);
  add_headers(request, head);
  return request;
}

using RequestParser = BoundedRequestParser<bhttp::string_body>;

// Room for one head (or one trailer, or one chunk header) beyond what a read brings:
// the buffer never holds more, so an endless chunk extension cannot grow memory.
std::size_t buffer_bound(const config::HttpLimits& limits) { return limits.max_header_bytes + 64 * 1024; }

// Why reading a request failed, as the client should hear it; nullopt: close without a word.
std::optional<Rejection> classify_read_error(const beast::error_code& ec, bool timed_out, const RequestParser& parser,
                                             const config::HttpLimits& limits) {
  if (timed_out) return Rejection{Failure::request_timeout, "the request was not received in time"};
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::ssl::error::stream_truncated) {
    return std::nullopt;
  }
  if (ec == bhttp::error::header_limit) {
    if (!parser.request_line_read()) return Rejection{Failure::uri_too_long, "the request line is too long"};
    switch (parser.budget().over) {
      case FieldBudget::Over::fields:
        return Rejection{Failure::headers_too_large,
                         "more than " + std::to_string(limits.max_headers) + " header fields"};
      case FieldBudget::Over::one_field:
        return Rejection{Failure::headers_too_large, "a header field is longer than 65,532 bytes"};
      default:
        return Rejection{Failure::headers_too_large,
                         "request headers are larger than " + std::to_string(limits.max_header_bytes) + " bytes"};
    }
  }
  if (ec == bhttp::error::buffer_overflow) {
    return Rejection{Failure::bad_request, "a chunk header or trailer is longer than the header limit"};
  }
  if (ec == bhttp::error::body_limit) return Rejection{Failure::body_too_large, "request body is too large"};
  return Rejection{Failure::bad_request, "malformed request: " + ec.message()};
}

}  // namespace

// A connection writing a stream waits on `wake`: for the stream's next bytes, its idle
// time, the client's leaving (a read that completes), or a drain.
struct StreamWatch {
  explicit StreamWatch(const LoopExecutor& executor) : wake(executor) {}
  Timer wake;
  bool client_gone = false;
  bool reading = false;
  std::array<char, 256> scratch{};
};

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  struct Connection {
    Transport stream;
    // Reading a request runs against this timer rather than the stream's own expiry,
    // which would close the socket before the 408 could be written.
    Timer read_deadline;
    std::uint64_t armed = 0;  // a deadline that fired just as its read finished must not cut the next step
    bool timed_out = false;
    bool idle = false;
    bool secured = false;  // the TLS handshake completed
    std::shared_ptr<struct StreamWatch> streaming;  // while it writes a stream: what a drain wakes
    std::size_t loop = 0;
    std::string peer;
    std::string client_cert;  // x-forwarded-client-cert of a verified client certificate
    std::string head_buffer;  // outgoing heads are written here, each over the last
    Connection(Transport stream_, std::string peer_, std::size_t loop_)
        : stream(std::move(stream_)), read_deadline(stream.get_executor()), loop(loop_), peer(std::move(peer_)) {}

    void arm(std::chrono::milliseconds timeout) {
      timed_out = false;
      read_deadline.expires_after(timeout);
      read_deadline.async_wait([this, generation = ++armed](const beast::error_code& ec) {
        if (ec || generation != armed) return;  // disarmed, or the connection is gone
        timed_out = true;
        stream.cancel();
      });
    }
    void disarm() {
      ++armed;
      read_deadline.cancel();
    }
  };

  std::string name;
  config::Endpoint endpoint;
  // Swapped whole by a reload; each request reads under the limits it started with.
  std::atomic<std::shared_ptr<const config::HttpLimits>> limits;
  // Swapped whole by a reload; each request holds the one it started with.
  std::atomic<std::shared_ptr<bridge::RequestHandler>> handler;
  // HTTPS: replaced by a reload that re-read the certificates; each connection holds
  // the one it was accepted with.
  std::atomic<std::shared_ptr<asio::ssl::context>> tls;
  IoThreads& threads;
  std::unique_ptr<tcp::acceptor> acceptor;
  tcp::endpoint bound;

  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> most_open{0};  // since take_most_open(): a burst between two looks still counts
  std::mutex connections_mutex;
  std::unordered_set<Connection*> connections;

  metrics::Gauge& connections_gauge;
  metrics::Counter& accepted;
  metrics::Counter& refused;
  metrics::Family<metrics::Counter>& protocol_errors;
  metrics::Counter* handshake_failures = nullptr;  // HTTPS listeners only

  Impl(std::string name_, config::Endpoint endpoint_, config::HttpLimits limits_,
       std::shared_ptr<bridge::RequestHandler> handler_, IoThreads& threads_, metrics::Registry& registry,
       std::shared_ptr<asio::ssl::context> tls_)
      : name(std::move(name_)),
        endpoint(std::move(endpoint_)),
        limits(std::make_shared<const config::HttpLimits>(limits_)),
        handler(std::move(handler_)),
        tls(std::move(tls_)),
        threads(threads_),
        connections_gauge(registry.gauge("causeway_http_connections", "Open HTTP connections", {"listener"}).with({name})),
        accepted(registry.counter("causeway_http_connections_total", "Accepted HTTP connections", {"listener"}).with({name})),
        refused(registry
                    .counter("causeway_http_connections_refused_total",
                             "Connections closed at once because the listener had max_connections open", {"listener"})
                    .with({name})),
        protocol_errors(registry.counter("causeway_http_protocol_errors_total",
                                         "Requests rejected before routing (malformed, too large, too slow)",
                                         {"listener", "code"})) {
    if (tls.load()) {
      handshake_failures = &registry
                                .counter("causeway_http_tls_handshake_failures_total",
                                         "TLS handshakes that failed or did not finish within header_timeout",
                                         {"listener"})
                                .with({name});
    }
  }

  Task<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto& context = threads.next();
      auto [ec, socket] = co_await acceptor->async_accept(context, use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) continue;  // e.g. EMFILE: the peer is gone, the listener stays
      accepted.inc();
      if (open.load() >= limits.load()->max_connections) {
        refused.inc();
        continue;  // the socket closes as it goes out of scope
      }
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(context, serve(std::move(socket), threads.index_of(context)), asio::detached);
    }
  }

  void track(Connection* connection, bool add) {
    std::lock_guard lock(connections_mutex);
    if (add) {
      connections.insert(connection);
    } else {
      connections.erase(connection);
    }
  }

  Task<void> serve(Socket socket, std::size_t loop) {
    auto self = shared_from_this();
    beast::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    std::string peer = ec ? std::string() : remote.address().to_string();
    auto context = tls.load();
    Connection connection(context ? Transport(std::move(socket), std::move(context)) : Transport(std::move(socket)),
                          std::move(peer), loop);
    const std::size_t now_open = open.fetch_add(1) + 1;
    for (auto most = most_open.load(); now_open > most && !most_open.compare_exchange_weak(most, now_open);) {
    }
    connections_gauge.add(1);
    track(&connection, true);
    try {
      // Plain statements around co_await: GCC 12 mishandles a suspension inside `||`.
      bool ready = true;
      if (connection.stream.tls()) ready = co_await handshake(connection);
      if (ready) co_await run(connection);
      if (connection.secured) co_await close_notify(connection);
    } catch (const std::exception&) {
      // A connection's failure stays with that connection.
    }
    track(&connection, false);
    connections_gauge.add(-1);
    open.fetch_sub(1);
    beast::error_code ignored;
    connection.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  // Within the header timeout, as the handshake stands before the first request's head.
  Task<bool> handshake(Connection& connection) {
    auto& tls_stream = *connection.stream.tls();
    connection.idle = true;  // nothing asked yet: a drain may close it
    connection.stream.expires_after(limits.load()->header_timeout);
    auto [handshake_ec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    const auto ec = connection.stream.outcome(handshake_ec);
    connection.stream.expires_never();
    connection.idle = false;
    if (!ec) {
      connection.secured = true;
      if (auto certificate = forwarded_client_cert(tls_stream)) connection.client_cert = std::move(*certificate);
      co_return true;
    }
    if (ec == asio::error::operation_aborted) co_return false;  // drained
    handshake_failures->inc();
    if (plain_http_sent(ec)) {
      // Said in plain HTTP, which is what that client reads: better than a silent close.
      // A named local: GCC 12 destroys a temporary argument of co_await twice.
      const std::optional<Rejection> plain_http =
          Rejection{Failure::bad_request, "this listener speaks HTTPS; plain HTTP was sent"};
      connection.stream.drop_tls();
      co_await reject(connection.stream, plain_http, 11);
    }
    co_return false;
  }

  // Tells the client that nothing was cut off before the TCP close.
  Task<void> close_notify(Connection& connection) {
    auto& tls_stream = *connection.stream.tls();
    skip_peer_close_notify(tls_stream);
    connection.stream.expires_after(kCloseNotifyTimeout);
    co_await tls_stream.async_shutdown(use_tuple);
  }

  // Parses as much of a head as `buffer` holds; need_more when it is not all there yet.
  static beast::error_code parse_head_at_hand(beast::flat_buffer& buffer, RequestParser& parser) {
    beast::error_code ec = bhttp::error::need_more;
    while (buffer.size() > 0 && !parser.is_header_done()) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec || used == 0) break;
    }
    return ec;
  }

  Task<void> run(Connection& connection) {
    auto& stream = connection.stream;
    beast::flat_buffer buffer(buffer_bound(*limits.load()));
    for (;;) {
      const auto limits_now = limits.load();
      const config::HttpLimits& limits_in_force = *limits_now;
      if (buffer.size() == 0) {
        // Between requests the idle timeout applies; once a byte arrives, the header one.
        if (draining.load()) co_return;
        connection.idle = true;
        stream.expires_after(limits_in_force.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kIdleReadBytes), use_tuple);
        connection.idle = false;
        if (ec) co_return;
        buffer.commit(n);
      }

      // A reload may have changed the bound; the bytes already read stay.
      if (buffer.max_size() != buffer_bound(limits_in_force) && buffer.size() <= buffer_bound(limits_in_force)) {
        beast::flat_buffer resized(buffer_bound(limits_in_force));
        resized.commit(asio::buffer_copy(resized.prepare(buffer.size()), buffer.data()));
        buffer = std::move(resized);
      }
      RequestParser parser(limits_in_force.max_header_bytes, limits_in_force.max_headers);
      parser.body_limit(limits_in_force.max_body_bytes);
      stream.expires_never();
      // A head that came whole with the last read is parsed here: Beast's read would parse
      // the same bytes, then post its completion through the loop, and the header timer
      // would be armed and cancelled for nothing.
      beast::error_code header_ec = parse_head_at_hand(buffer, parser);
      if (header_ec == bhttp::error::need_more) {
        connection.arm(limits_in_force.header_timeout);
        auto [read_ec, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
        connection.disarm();
        header_ec = read_ec;
      }
      if (header_ec) {
        const auto rejection = classify_read_error(header_ec, connection.timed_out, parser, limits_in_force);
        // A Content-Length over the bound stops the head early: what was read names the route.
        const bool too_large = rejection && rejection->failure == Failure::body_too_large;
        const bridge::Request partial = too_large ? from_head(parser.get()) : bridge::Request{};
        co_await reject(stream, rejection, 11, too_large ? &partial : nullptr);
        co_return;
      }
      const auto& head = parser.get();
      if (auto rejection = check_request_head(head.base(), limits_in_force)) {
        co_await reject(stream, rejection, head.version());
        co_return;
      }
      const unsigned version = head.version();
      const bool head_only = head.method() == bhttp::verb::head;
      const bool keep_alive_asked = head.keep_alive();
      bridge::Request request = request_line_of(head);
      auto current = handler.load();
      if (current->forwards()) {
        if (auto plan = current->forward_plan(request)) {
          // Plain statements around co_await: GCC 12 mishandles temporaries in a
          // conditional expression that suspends.
          bool go_on = false;
          if (plan->refusal) {
            const bool keep = keep_alive_asked && parser.is_done();  // an unread body ends the connection
            go_on = co_await write(stream, connection.head_buffer, *plan->refusal, version, keep, head_only) && keep;
          } else {
            ForwardClient client{stream,
                                 buffer,
                                 parser,
                                 connection.peer,
                                 connection.secured ? "https" : "http",
                                 connection.client_cert,
                                 connection.loop,
                                 limits_in_force,
                                 connection.head_buffer};
            go_on = co_await forward(client, *plan);
          }
          // An answer that ends the connection may have come before the body was read.
          if (!go_on) co_await linger(stream);
          if (!go_on || draining.load()) co_return;
          continue;
        }
      }
      add_headers(request, head);
      if (!parser.is_done()) {
        if (version >= 11 && config::same_name(head[bhttp::field::expect], "100-continue")) {
          bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
          stream.expires_after(limits_in_force.body_timeout);
          auto [ec, n] = co_await bhttp::async_write(stream, go_on, use_tuple);
          if (ec) co_return;
          stream.expires_never();
        }
        connection.arm(limits_in_force.body_timeout);
        auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        connection.disarm();
        if (body_ec) {
          const auto rejection = classify_read_error(body_ec, connection.timed_out, parser, limits_in_force);
          co_await reject(stream, rejection, version, &request);
          co_return;
        }
      }
      request.body = std::move(parser.get().body());
      bool keep_alive = keep_alive_asked;
      auto response = co_await dispatch(std::move(request));
      if (response.stream) {
        co_await write_stream(connection, std::move(response), version, head_only);
        co_return;
      }
      if (draining.load()) keep_alive = false;
      if (!co_await write(stream, connection.head_buffer, std::move(response), version, keep_alive, head_only)) {
        co_return;
      }
      if (!keep_alive) co_return;
    }
  }

  // Hands the request to the handler and suspends until its Responder answers, from
  // whatever thread; the answer is posted back to this connection's loop.
  Task<bridge::Response> dispatch(bridge::Request request) {
    auto executor = co_await asio::this_coro::executor;
    UseTask token;
    co_return co_await asio::async_initiate<UseTask, void(bridge::Response)>(
        [this, &request, executor](auto completion) {
          auto waiting = std::make_shared<decltype(completion)>(std::move(completion));
          auto current = handler.load();
          current->handle(std::move(request), bridge::Responder([waiting, executor](bridge::Response response) {
            asio::post(executor, [waiting, response = std::move(response)]() mutable {
              (*waiting)(std::move(response));
            });
          }));
        },
        token);
  }

  // The head is written into `head_buffer` and leaves with the body in one write.
  Task<bool> write(Transport& stream, std::string& head_buffer, bridge::Response response, unsigned version,
                              bool keep_alive, bool head_only) {
    WireHead head(head_buffer);
    head.status_line(version, response.status);
    for (const auto& header : response.headers) {
      // Framing and the connection's fate are this listener's to say.
      if (config::same_name(header.name, "content-length") || config::same_name(header.name, "transfer-encoding") ||
          config::same_name(header.name, "connection")) {
        continue;
      }
      head.field(header.name, header.value);
    }
    // RFC 9110 8.6: no Content-Length on an answer that cannot have a body.
    const bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
    if (!bodiless) head.content_length(response.body.size());
    head.keep_alive(version, keep_alive);
    head.end();
    const std::string_view body = bodiless || head_only ? std::string_view() : std::string_view(response.body);
    const std::array<asio::const_buffer, 2> pieces{asio::buffer(head_buffer), asio::buffer(body.data(), body.size())};
    auto rest = stream.send_at_once(pieces);
    if (beast::buffer_bytes(rest) == 0) co_return true;
    stream.expires_after(limits.load()->idle_timeout);  // a client that stops reading is dropped
    auto [ec, n] = co_await asio::async_write(stream, rest, use_tuple);
    co_return !ec;
  }

  // A stream's head, then its bytes as they come (HTTP/1.1: chunked), until it ends, the
  // client leaves or the listener drains; the connection closes after it.
  Task<void> write_stream(Connection& connection, bridge::Response response, unsigned version,
                                     bool head_only) {
    auto body = std::move(response.stream);
    auto& stream = connection.stream;
    const bool chunked = version >= 11;
    bhttp::response<bhttp::empty_body> head;
    head.version(version);
    head.result(response.status);
    for (auto& header : response.headers) head.insert(header.name, header.value);
    head.keep_alive(false);
    if (chunked) head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    stream.expires_after(limits.load()->idle_timeout);
    auto [head_ec, head_bytes] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
    stream.expires_never();
    if (head_ec || head_only) {
      body->end(bridge::BodyStream::kClientClosed);
      co_return;
    }
    // The kernel's send buffer would otherwise grow to megabytes for a client that does
    // not read: bounded like the stream's own, it keeps a stalled client's cost near
    // client_buffer and lets the stream notice it soon.
    beast::error_code ignored;
    stream.socket().set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(std::min<std::size_t>(body->max_buffered(), 4 << 20))), ignored);
    auto executor = co_await asio::this_coro::executor;
    auto watch = std::make_shared<StreamWatch>(executor);
    connection.streaming = watch;
    // Nothing more is asked on a stream's connection: a read that completes means the
    // client closed it (or broke the protocol).
    watch->reading = true;
    stream.async_read_some(asio::buffer(watch->scratch), [watch](const beast::error_code&, std::size_t) {
      watch->reading = false;
      watch->client_gone = true;
      watch->wake.cancel();
    });
    std::vector<asio::const_buffer> pieces;
    for (;;) {
      auto taken = body->take();
      std::size_t size = 0;
      for (const auto& chunk : taken.chunks) size += chunk.size();
      if (size > 0) {
        // One HTTP chunk of everything taken, written from the taken strings themselves.
        std::array<char, 20> size_line{};
        const int size_length = std::snprintf(size_line.data(), size_line.size(), "%zx\r\n", size);
        pieces.clear();
        pieces.push_back(asio::buffer(size_line.data(), chunked ? size_length : 0));
        for (const auto& chunk : taken.chunks) pieces.push_back(asio::buffer(chunk));
        pieces.push_back(asio::buffer("\r\n", chunked ? 2 : 0));
        stream.expires_after(limits.load()->idle_timeout);  // a client that stops reading is dropped
        auto [ec, n] = co_await asio::async_write(stream, pieces, use_tuple);
        stream.expires_never();
        if (ec) {
          body->end(bridge::BodyStream::kClientClosed);
          break;
        }
      }
      if (taken.ended) {
        // A slow reader is cut off without the last chunk: the client must not think the stream ended well.
        if (chunked && *taken.ended != bridge::BodyStream::kSlowReader) {
          stream.expires_after(kCloseNotifyTimeout);
          co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5), use_tuple);
          stream.expires_never();
        }
        break;
      }
      if (watch->client_gone) {
        body->end(bridge::BodyStream::kClientClosed);
        continue;
      }
      if (draining.load()) {
        body->end(bridge::BodyStream::kDraining);
        continue;
      }
      watch->wake.expires_after(body->idle());
      body->when_ready([weak = std::weak_ptr<StreamWatch>(watch), executor] {
        asio::post(executor, [weak] {
          if (auto alive = weak.lock()) alive->wake.cancel();
        });
      });
      auto [wait_ec] = co_await watch->wake.async_wait(use_tuple);
      if (!wait_ec && body->buffered() == 0) body->push(body->idle_bytes());
    }
    connection.streaming.reset();
    // The watching read must be over before the connection goes.
    if (watch->reading) {
      stream.socket().cancel(ignored);
      while (watch->reading) {
        watch->wake.expires_after(std::chrono::seconds(1));
        co_await watch->wake.async_wait(use_tuple);
      }
    }
  }

  // Answers a request that cannot be served and ends the connection. With its head
  // read, the request's route may answer in its own protocol (a SOAP fault).
  Task<void> reject(Transport& stream, const std::optional<Rejection>& rejection, unsigned version,
                               const bridge::Request* head = nullptr) {
    if (!rejection) co_return;
    auto response = bridge::failure_response(rejection->failure, rejection->message);
    if (head) response = handler.load()->refusal(*head, std::move(response));
    protocol_errors.with({name, std::to_string(response.status)}).inc();
    std::string head_buffer;
    if (co_await write(stream, head_buffer, std::move(response), version >= 10 ? version : 11, false, false)) {
      co_await linger(stream);
    }
  }

  // Reads and drops what the client still sends, until it closes, or the time or size
  // bound is reached. Plain TCP is half-closed first, so the client sees the answer end.
  Task<void> linger(Transport& stream) {
    beast::error_code ignored;
    if (!stream.tls()) stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(kLingerTime);
    std::array<char, 16 * 1024> sink;
    for (std::size_t dropped = 0; dropped < kLingerBytes;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) break;
      dropped += n;
    }
    stream.expires_never();
  }

  void drain() {
    draining.store(true);
    asio::post(acceptor->get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor->close(ignored);
    });
    std::lock_guard lock(connections_mutex);
    for (auto* connection : connections) {
      // Runs on the connection's own loop, where it cannot be mid-step; it may be gone by then.
      asio::post(connection->stream.get_executor(), [self = shared_from_this(), connection] {
        std::lock_guard lock(self->connections_mutex);
        if (!self->connections.contains(connection)) return;
        if (connection->idle) connection->stream.cancel();
        if (connection->streaming) connection->streaming->wake.cancel();
      });
    }
  }
};

HttpServer::HttpServer(std::string name, config::Endpoint endpoint, config::HttpLimits limits,
                       std::shared_ptr<bridge::RequestHandler> handler, IoThreads& threads,
                       metrics::Registry& registry, std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_shared<Impl>(std::move(name), std::move(endpoint), limits, std::move(handler), threads,
                                   registry, std::move(tls))) {}

void HttpServer::set_handler(std::shared_ptr<bridge::RequestHandler> handler) { impl_->handler.store(std::move(handler)); }

void HttpServer::set_limits(const config::HttpLimits& limits) {
  impl_->limits.store(std::make_shared<const config::HttpLimits>(limits));
}

void HttpServer::set_tls(std::shared_ptr<asio::ssl::context> tls) { impl_->tls.store(std::move(tls)); }

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  auto& context = impl_->threads.context(0);
  try {
    auto address = asio::ip::make_address(impl_->endpoint.host);
    tcp::endpoint endpoint(address, impl_->endpoint.port);
    impl_->acceptor = std::make_unique<tcp::acceptor>(context);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
    impl_->bound = impl_->acceptor->local_endpoint();
  } catch (const std::exception& error) {
    throw std::runtime_error("listener '" + impl_->name + "': cannot listen on " + impl_->endpoint.text() + ": " +
                             error.what());
  }
  asio::co_spawn(context, impl_->accept_loop(), asio::detached);
}

config::Endpoint HttpServer::local_endpoint() const {
  return config::Endpoint{impl_->bound.address().to_string(), impl_->bound.port()};
}

void HttpServer::drain() { impl_->drain(); }

std::size_t HttpServer::open_connections() const { return impl_->open.load(); }

std::size_t HttpServer::take_most_open() { return impl_->most_open.exchange(impl_->open.load()); }

}  // namespace causeway::http
