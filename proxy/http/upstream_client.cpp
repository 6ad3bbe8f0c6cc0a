#include "http/upstream_client.h"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <unordered_map>
#include <vector>

#include "http/io_threads.h"
#include "http/loop_executor.h"
#include "http/upstream_exchange.h"
#include "http/upstream_pool.h"
#include "metrics/registry.h"

namespace causeway::http {

namespace asio = boost::asio;
using Error = UpstreamResult::Error;
using Done = std::function<void(UpstreamResult)>;

namespace {

std::string_view code_of(Error error) {
  switch (error) {
    case Error::none: return "none";
    case Error::connect_failed: return "connect_failed";
    case Error::timeout: return "timeout";
    case Error::reset: return "reset";
    case Error::bad_response: return "bad_response";
    case Error::unavailable: return "unavailable";
  }
  return "unknown";
}

UpstreamResult failure(Error error, std::string detail) {
  UpstreamResult result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

}  // namespace

struct UpstreamClient::Impl {
  Impl(const config::Upstream& upstream_, IoThreads& threads_, metrics::Registry& registry,
       std::shared_ptr<asio::ssl::context> tls)
      : upstream(upstream_),
        threads(threads_),
        requests(registry.counter("causeway_upstream_requests_total",
                                  "Upstream requests by response status, or by how they failed", {"upstream", "code"})),
        duration(registry
                     .histogram("causeway_upstream_request_duration_seconds",
                                "Upstream requests from send to result, waiting for a connection included",
                                {"upstream"}, metrics::latency_buckets())
                     .with({upstream.name})),
        status_counters(threads.size()),
        pool(UpstreamPool::create(
            upstream, threads,
            registry.gauge("causeway_upstream_connections", "Open connections to the upstream", {"upstream"})
                .with({upstream.name}),
            registry.counter("causeway_upstream_connects_total", "Connections opened to the upstream", {"upstream"})
                .with({upstream.name}),
            std::move(tls))) {
    for (Error error : {Error::connect_failed, Error::timeout, Error::reset, Error::bad_response, Error::unavailable}) {
      error_counters[static_cast<std::size_t>(error)] = &requests.with({upstream.name, code_of(error)});
    }
  }

  const config::Upstream upstream;
  const std::string host_header = config::Endpoint{upstream.host, upstream.port}.text();
  IoThreads& threads;
  metrics::Family<metrics::Counter>& requests;
  metrics::Histogram& duration;
  std::array<metrics::Counter*, 6> error_counters{};  // by Error
  std::shared_ptr<bridge::CircuitBreaker> breaker;    // null: none
  // Per loop, touched only there: the family lookup takes a lock, this does not.
  std::vector<std::unordered_map<int, metrics::Counter*>> status_counters;
  std::shared_ptr<UpstreamPool> pool;
  std::atomic<std::size_t> next_loop{0};

  // The caller's own loop, else one with an idle connection, else the next in turn.
  std::size_t pick_loop() {
    for (std::size_t i = 0; i < threads.size(); ++i) {
      if (threads.context(i).get_executor().running_in_this_thread()) return i;
    }
    const std::size_t turn = next_loop.fetch_add(1, std::memory_order_relaxed) % threads.size();
    return pool->loop_with_idle(turn).value_or(turn);
  }

  static Task<void> run(std::shared_ptr<Impl> self, std::size_t loop, UpstreamRequest request, Done done,
                                   SteadyClock::time_point start) {
    UpstreamResult result;
    if (self->breaker && !self->breaker->allow(start)) {
      result = failure(Error::unavailable, "upstream '" + self->upstream.name + "': circuit breaker open");
      self->record(loop, result, start);
      done(std::move(result));
      co_return;
    }
    try {
      const config::Duration timeout = request.timeout.value_or(self->upstream.timeout);
      const auto message = build_request(self->upstream, std::move(request));
      result = co_await self->attempt(loop, message, start, timeout);
    } catch (const std::exception& error) {
      // Only allocation or a field Beast refuses can throw here; the caller still hears.
      result = failure(Error::reset, std::string("internal error: ") + error.what());
    }
    if (self->breaker) {
      if (result.error != Error::none || result.response->status >= 500) {
        self->breaker->failed(SteadyClock::now());
      } else {
        self->breaker->succeeded();
      }
    }
    self->record(loop, result, start);
    done(std::move(result));
  }

  Task<UpstreamResult> attempt(std::size_t loop, const OutgoingRequest& message,
                                          SteadyClock::time_point start, config::Duration timeout) {
    const auto deadline = start + timeout;
    auto lease = co_await pool->acquire(loop, deadline);
    if (!lease.connection) co_return failure(lease.error, std::move(lease.detail));
    const ExchangeLimits limits{deadline, upstream.max_response_bytes, timeout};
    auto outcome = co_await exchange(lease.connection->stream(), message, lease.connection->reused(), limits);
    if (outcome.stale && !pool->closed(loop)) {
      // A pooled connection broke before any byte of response: the server closed it
      // while it sat idle (its keep-alive timeout ran out as we picked it). That says
      // nothing about this request, which the server never read, so it is sent once
      // more on a fresh connection; that one's failure is the request's own.
      lease = co_await pool->replace(std::move(lease.connection), deadline);
      if (!lease.connection) co_return failure(lease.error, std::move(lease.detail));
      outcome = co_await exchange(lease.connection->stream(), message, false, limits);
    }
    if (outcome.result.error != Error::none && pool->closed(loop)) outcome.result.detail = "upstream client closed";
    if (outcome.reusable) pool->release(std::move(lease.connection));
    co_return std::move(outcome.result);
  }

  void record(std::size_t loop, const UpstreamResult& result, SteadyClock::time_point start) {
    duration.observe(std::chrono::duration<double>(SteadyClock::now() - start).count());
    if (!result.response) {
      if (auto* counter = error_counters[static_cast<std::size_t>(result.error)]) counter->inc();
      return;
    }
    auto& counter = status_counters[loop][result.response->status];
    if (!counter) counter = &requests.with({upstream.name, std::to_string(result.response->status)});
    counter->inc();
  }
};

UpstreamClient::UpstreamClient(const config::Upstream& upstream, IoThreads& threads, metrics::Registry& registry,
                               std::shared_ptr<asio::ssl::context> tls, std::shared_ptr<bridge::CircuitBreaker> breaker)
    : impl_(std::make_shared<Impl>(upstream, threads, registry, std::move(tls))) {
  impl_->breaker = std::move(breaker);
}

// Requests in flight hold the Impl; closing the pool makes each of them end with an error.
UpstreamClient::~UpstreamClient() { impl_->pool->shut_down(); }

void UpstreamClient::send(UpstreamRequest request, std::function<void(UpstreamResult)> done) {
  const auto start = SteadyClock::now();
  const std::size_t loop = impl_->pick_loop();
  asio::co_spawn(impl_->threads.context(loop), Impl::run(impl_, loop, std::move(request), std::move(done), start),
                 asio::detached);
}

const config::Upstream& UpstreamClient::upstream() const { return impl_->upstream; }

const std::string& UpstreamClient::host_header() const { return impl_->host_header; }

std::shared_ptr<UpstreamPool> UpstreamClient::pool() const { return impl_->pool; }

void UpstreamClient::record(std::size_t loop, const UpstreamResult& result, SteadyClock::time_point start) {
  impl_->record(loop, result, start);
}

}  // namespace causeway::http
