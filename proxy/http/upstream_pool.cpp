#include "http/upstream_pool.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <limits>
#include <mutex>

#include "config/units.h"
#include "http/io_threads.h"
#include "http/loop_executor.h"
#include "http/tls_session.h"
#include "metrics/registry.h"

namespace causeway::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Error = UpstreamResult::Error;

namespace {

constexpr std::size_t kIdleBufferBytes = 16 * 1024;
// Moving a connection to another loop costs two epoll_ctl calls and a wake-up there: with
// requests waiting on every loop (more clients than max_connections), each loop serves its
// own, and hands over only to a loop whose oldest request has waited this much longer.
constexpr auto kHandOverLead = std::chrono::duration_cast<SteadyClock::duration>(std::chrono::milliseconds(2));
constexpr std::int64_t kNobodyWaits = std::numeric_limits<std::int64_t>::max();

// An idle connection is reusable only while the server has neither closed it nor sent
// anything unasked; a non-blocking peek tells without consuming a byte.
bool quiet_and_open(Socket& socket) {
  beast::error_code ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (ec) return false;
  char byte;
  socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  return ec == asio::error::would_block;
}

UpstreamPool::Lease granted(std::unique_ptr<UpstreamConnection> connection) {
  UpstreamPool::Lease lease;
  lease.connection = std::move(connection);
  return lease;
}

}  // namespace

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : pool_(std::move(other.pool_)),
      connected_(std::exchange(other.connected_, nullptr)),
      held_(std::exchange(other.held_, false)) {}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = std::move(other.pool_);
    connected_ = std::exchange(other.connected_, nullptr);
    held_ = std::exchange(other.held_, false);
  }
  return *this;
}

ConnectionSlot::~ConnectionSlot() { reset(); }

void ConnectionSlot::mark_connected(metrics::Gauge& gauge) {
  if (connected_) return;
  connected_ = &gauge;
  gauge.add(1);
}

void ConnectionSlot::reset() {
  if (!held_) return;
  held_ = false;
  if (connected_) connected_->add(-1);
  connected_ = nullptr;
  if (auto pool = pool_.lock()) pool->free_slot();
}

UpstreamConnection::UpstreamConnection(std::size_t loop, Registry& registry, Transport stream, ConnectionSlot slot)
    : loop_(loop), registry_(registry), slot_(std::move(slot)), stream_(std::move(stream)) {
  registry_.insert(this);
}

UpstreamConnection::~UpstreamConnection() { registry_.erase(this); }

struct UpstreamPool::Loop {
  explicit Loop(asio::io_context& context_) : context(context_) {}
  asio::io_context& context;
  UpstreamConnection::Registry open;  // before `idle`, which unregisters from it when destroyed
  std::deque<std::unique_ptr<UpstreamConnection>> idle;  // most recently used at the back
  std::deque<Waiter*> waiters;                          // oldest first
  std::optional<Timer> sweep;
  bool sweeping = false;
  bool closed = false;
  // Mirrors of the two lists for other loops deciding where a free connection goes.
  std::atomic<std::size_t> idle_count{0};
  std::atomic<std::int64_t> oldest_wait{kNobodyWaits};  // arrival of the first waiter, steady-clock ticks

  void note_waiters();
  Waiter* pop_waiter();  // the oldest, out of the queue
};

// A request waiting on its loop for a connection. It leaves the queue however its
// coroutine ends, even destroyed unfinished with its io_context.
struct UpstreamPool::Waiter {
  Waiter(Loop& loop_, SteadyClock::time_point deadline) : loop(loop_), timer(loop_.context, deadline) {
    loop.waiters.push_back(this);
    loop.note_waiters();
  }
  ~Waiter() { leave(); }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // A waiter that was served has been taken out already: only one that gives up (its
  // deadline passed, its loop closed) searches the queue, which holds every request waiting.
  void leave() {
    if (!queued) return;
    queued = false;
    if (auto it = std::find(loop.waiters.begin(), loop.waiters.end(), this); it != loop.waiters.end()) {
      loop.waiters.erase(it);
      loop.note_waiters();
    }
  }

  Loop& loop;
  Timer timer;  // fires at the deadline; cancelled to wake the request early
  std::unique_ptr<UpstreamConnection> connection;  // handed over by a release
  ConnectionSlot slot;                              // or room to connect
  SteadyClock::time_point since = SteadyClock::now();
  bool queued = true;  // in loop.waiters
};

void UpstreamPool::Loop::note_waiters() {
  oldest_wait.store(waiters.empty() ? kNobodyWaits : waiters.front()->since.time_since_epoch().count());
}

UpstreamPool::Waiter* UpstreamPool::Loop::pop_waiter() {
  Waiter* waiter = waiters.front();
  waiters.pop_front();
  waiter->queued = false;
  note_waiters();
  return waiter;
}

// A pool may outlive some of its loops' io_contexts: tasks and coroutines holding it
// are destroyed with their io_context, one io_context after another. Each io_context
// tells its pools when it shuts down, so that they drop that loop's sockets and timer
// while it is still whole, never after.
class LoopTeardown : public asio::execution_context::service {
 public:
  using key_type = LoopTeardown;
  static inline asio::execution_context::id id;
  explicit LoopTeardown(asio::execution_context& context) : service(context) {}

  void add(std::weak_ptr<UpstreamPool> pool, std::size_t loop) {
    std::lock_guard lock(mutex_);
    std::erase_if(pools_, [](const auto& entry) { return entry.first.expired(); });
    pools_.emplace_back(std::move(pool), loop);
  }

  void shutdown() override {
    std::lock_guard lock(mutex_);
    for (auto& [weak, loop] : pools_) {
      if (auto pool = weak.lock()) pool->forget_loop(loop);
    }
    pools_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::weak_ptr<UpstreamPool>, std::size_t>> pools_;
};

std::shared_ptr<UpstreamPool> UpstreamPool::create(const config::Upstream& upstream, IoThreads& threads,
                                                   metrics::Gauge& open_connections, metrics::Counter& connects,
                                                   std::shared_ptr<asio::ssl::context> tls) {
  auto pool = std::make_shared<UpstreamPool>(Key{}, upstream, threads, open_connections, connects, std::move(tls));
  for (std::size_t i = 0; i < threads.size(); ++i) {
    asio::use_service<LoopTeardown>(static_cast<asio::execution_context&>(threads.context(i))).add(pool, i);
  }
  return pool;
}

UpstreamPool::UpstreamPool(Key, const config::Upstream& upstream, IoThreads& threads,
                           metrics::Gauge& open_connections, metrics::Counter& connects,
                           std::shared_ptr<asio::ssl::context> tls)
    : upstream_(upstream),
      address_text_(config::Endpoint{upstream.host, upstream.port}.text()),
      tls_(std::move(tls)),
      open_gauge_(open_connections),
      connects_(connects) {
  beast::error_code ec;
  auto address = asio::ip::make_address(upstream.host, ec);
  if (!ec) literal_ = tcp::endpoint(address, upstream.port);
  for (std::size_t i = 0; i < threads.size(); ++i) loops_.push_back(std::make_unique<Loop>(threads.context(i)));
}

UpstreamPool::~UpstreamPool() = default;

std::optional<UpstreamPool::Lease> UpstreamPool::acquire_at_once(std::size_t index) {
  if (closed(index)) return closed_lease();
  if (auto connection = take_idle(*loops_[index])) return granted(std::move(connection));
  return std::nullopt;
}

Task<UpstreamPool::Lease> UpstreamPool::acquire(std::size_t index, SteadyClock::time_point deadline) {
  if (auto lease = acquire_at_once(index)) co_return std::move(*lease);
  Loop& loop = *loops_[index];
  if (loop.waiters.empty()) {
    if (auto slot = reserve()) co_return co_await connect(index, std::move(slot), deadline);
  }
  co_return co_await wait(index, deadline);
}

Task<UpstreamPool::Lease> UpstreamPool::replace(std::unique_ptr<UpstreamConnection> stale,
                                                           SteadyClock::time_point deadline) {
  const std::size_t index = stale->loop_;
  ConnectionSlot slot = std::move(stale->slot_);
  stale.reset();
  if (closed(index)) co_return closed_lease();
  co_return co_await connect(index, std::move(slot), deadline);
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  const std::size_t index = connection->loop_;
  Loop& loop = *loops_[index];
  if (closed(index)) return;
  // A large response grew it; an idle connection keeps only a usual head's worth.
  if (connection->buffer_.capacity() > kIdleBufferBytes) connection->buffer_.shrink_to_fit();
  connection->reused_ = true;
  connection->idle_since_ = SteadyClock::now();
  // The last request's deadline would otherwise close it while it waits here.
  connection->stream_.expires_never();
  loop.idle.push_back(std::move(connection));
  loop.idle_count.store(loop.idle.size());
  arm_sweep(index);
  share_idle(index);
}

void UpstreamPool::shut_down() {
  closing_.store(true);
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    asio::post(loops_[i]->context, [self = shared_from_this(), i] { self->close_loop(i); });
  }
}

bool UpstreamPool::closed(std::size_t index) const { return closing_.load() || loops_[index]->closed; }

std::optional<std::size_t> UpstreamPool::loop_with_idle(std::size_t start) const {
  for (std::size_t k = 0; k < loops_.size(); ++k) {
    const std::size_t i = (start + k) % loops_.size();
    if (loops_[i]->idle_count.load(std::memory_order_relaxed) > 0) return i;
  }
  return std::nullopt;
}

ConnectionSlot UpstreamPool::reserve() {
  const std::size_t limit = std::max<std::size_t>(1, upstream_.max_connections);
  std::size_t open = open_.load();
  while (open < limit) {
    if (open_.compare_exchange_weak(open, open + 1)) return ConnectionSlot(weak_from_this());
  }
  return {};
}

void UpstreamPool::free_slot() {
  open_.fetch_sub(1);
  // Read after the decrement: a loop that queued a request before it is seen here, and
  // one that queues after it finds room in its own serve_waiters().
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    if (loops_[i]->oldest_wait.load() == kNobodyWaits) continue;
    asio::post(loops_[i]->context, [self = shared_from_this(), i] { self->serve_waiters(i); });
  }
}

Task<UpstreamPool::Lease> UpstreamPool::connect(std::size_t index, ConnectionSlot slot,
                                                           SteadyClock::time_point deadline) {
  Loop& loop = *loops_[index];
  // Registered before connecting, so that a shut-down can abort the connect.
  auto connection = std::make_unique<UpstreamConnection>(index, loop.open, new_stream(index), std::move(slot));
  auto [resolve_ec, endpoints] = co_await resolve(index);
  if (closed(index)) co_return closed_lease();
  if (resolve_ec) co_return Lease{nullptr, Error::connect_failed, "cannot resolve " + upstream_.host + ": " + resolve_ec.message()};

  const auto connect_deadline = std::min(deadline, SteadyClock::now() + upstream_.connect_timeout);
  auto& stream = connection->stream_;
  stream.expires_at(connect_deadline);
  auto [ec, endpoint] = co_await asio::async_connect(stream.socket(), endpoints, use_tuple);
  if (closed(index)) co_return closed_lease();
  if (ec) co_return connect_failure(stream.outcome(ec), connect_deadline == deadline);
  beast::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  if (tls_) {
    // Within the same connect deadline: the handshake is part of getting a connection.
    auto failed = co_await handshake(*connection, connect_deadline == deadline);
    if (closed(index)) co_return closed_lease();
    if (failed) co_return std::move(*failed);
  }
  stream.expires_never();

  connection->slot_.mark_connected(open_gauge_);
  connects_.inc();
  co_return granted(std::move(connection));
}

Transport UpstreamPool::new_stream(std::size_t index) const {
  Socket socket(loops_[index]->context);
  if (!tls_) return Transport(std::move(socket));
  Transport stream(std::move(socket), tls_);
  expect_server(*stream.tls(), upstream_.tls->server_name, upstream_.tls->verify);
  return stream;
}

// nullopt once the TLS session is up; else the lease that says why it is not.
Task<std::optional<UpstreamPool::Lease>> UpstreamPool::handshake(UpstreamConnection& connection,
                                                                            bool request_deadline) {
  auto& tls = *connection.stream_.tls();
  auto [handshake_ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
  const auto ec = connection.stream_.outcome(handshake_ec);
  if (!ec) co_return std::nullopt;
  if (ec == beast::error::timeout) {
    // As for connecting: past the request's own deadline, it is the request that timed out.
    const std::string within =
        " did not finish within " + config::format_duration(request_deadline ? upstream_.timeout : upstream_.connect_timeout);
    co_return Lease{nullptr, request_deadline ? Error::timeout : Error::connect_failed,
                    "TLS handshake with " + address_text_ + within};
  }
  co_return Lease{nullptr, Error::connect_failed,
                  "TLS handshake with " + address_text_ + " failed: " + handshake_failure(tls, ec)};
}

Task<std::pair<beast::error_code, UpstreamPool::Endpoints>> UpstreamPool::resolve(std::size_t index) {
  if (literal_) co_return std::pair{beast::error_code{}, Endpoints{*literal_}};
  // The system resolver cannot be interrupted; its own timeouts bound this step.
  Resolver resolver(loops_[index]->context);
  auto [ec, results] = co_await resolver.async_resolve(upstream_.host, std::to_string(upstream_.port), use_tuple);
  Endpoints endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  co_return std::pair{ec, std::move(endpoints)};
}

UpstreamPool::Lease UpstreamPool::connect_failure(const beast::error_code& ec, bool request_deadline) const {
  if (ec == beast::error::timeout) {
    // Past the request's own deadline it is the request that timed out, not the connect.
    if (request_deadline) {
      return {nullptr, Error::timeout,
              "no connection to " + address_text_ + " within " + config::format_duration(upstream_.timeout)};
    }
    return {nullptr, Error::connect_failed,
            "no connection to " + address_text_ + " within " + config::format_duration(upstream_.connect_timeout)};
  }
  if (ec == asio::error::connection_refused) return {nullptr, Error::connect_failed, "connection refused by " + address_text_};
  return {nullptr, Error::connect_failed, "cannot connect to " + address_text_ + ": " + ec.message()};
}

Task<UpstreamPool::Lease> UpstreamPool::wait(std::size_t index, SteadyClock::time_point deadline) {
  Loop& loop = *loops_[index];
  Waiter waiter(loop, deadline);
  // Announced first, then looked around: a connection freed meanwhile on another loop is
  // either seen here or sees this waiter there.
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    if (i == index || loops_[i]->idle_count.load() == 0) continue;
    asio::post(loops_[i]->context, [self = shared_from_this(), i] { self->share_idle(i); });
    break;
  }
  serve_waiters(index);
  while (!waiter.connection && !waiter.slot && !loop.closed && SteadyClock::now() < deadline) {
    co_await waiter.timer.async_wait(use_tuple);
  }
  waiter.leave();

  const bool in_time = SteadyClock::now() < deadline;
  if (waiter.connection) {
    if (in_time) co_return granted(std::move(waiter.connection));
    release(std::move(waiter.connection));  // arrived too late for us, not for the next one
  }
  if (waiter.slot && in_time) co_return co_await connect(index, std::move(waiter.slot), deadline);
  if (closed(index)) co_return closed_lease();
  co_return Lease{nullptr, Error::timeout, "no connection free within " + config::format_duration(upstream_.timeout)};
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(Loop& loop) {
  const auto now = SteadyClock::now();
  while (!loop.idle.empty()) {
    auto connection = std::move(loop.idle.back());
    loop.idle.pop_back();
    loop.idle_count.store(loop.idle.size());
    if (now - connection->idle_since_ < upstream_.idle_timeout && quiet_and_open(connection->stream_.socket())) {
      return connection;
    }
  }
  return nullptr;
}

void UpstreamPool::give(Loop& loop, std::unique_ptr<UpstreamConnection> connection) {
  Waiter* waiter = loop.pop_waiter();
  waiter->connection = std::move(connection);
  waiter->timer.cancel();
}

// Lets this loop's waiting requests use idle connections, or connect where there is room.
void UpstreamPool::serve_waiters(std::size_t index) {
  Loop& loop = *loops_[index];
  while (!loop.waiters.empty()) {
    if (auto connection = take_idle(loop)) {
      give(loop, std::move(connection));
      continue;
    }
    ConnectionSlot slot = reserve();
    if (!slot) return;
    Waiter* waiter = loop.pop_waiter();
    waiter->slot = std::move(slot);
    waiter->timer.cancel();
  }
}

// Gives this loop's idle connections to the requests that have waited longest, on any loop;
// this loop's own come first unless another loop's have waited kHandOverLead longer.
void UpstreamPool::share_idle(std::size_t index) {
  Loop& loop = *loops_[index];
  while (!loop.idle.empty()) {
    auto target = oldest_waiting_loop();
    if (!target) return;
    const std::int64_t own = loop.oldest_wait.load();
    if (*target != index && own != kNobodyWaits &&
        loops_[*target]->oldest_wait.load() + kHandOverLead.count() > own) {
      target = index;
    }
    auto connection = take_idle(loop);
    if (!connection) return;
    if (*target == index) {
      give(loop, std::move(connection));
      continue;
    }
    if (tls_) {
      // A TLS session lives in its stream, bound to this loop's executor, and cannot
      // follow its socket: closing it frees a slot, and the waiting loop connects.
      connection.reset();
      return;
    }
    move_to(*target, std::move(connection));
    return;  // one at a time: the other loop may be served by then
  }
}

// A socket belongs to one loop's reactor: its descriptor is released here and adopted
// there, which costs far less than closing it and connecting again.
void UpstreamPool::move_to(std::size_t target, std::unique_ptr<UpstreamConnection> connection) {
  auto& socket = connection->stream_.socket();
  beast::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;
  Socket moved(loops_[target]->context);
  const auto descriptor = socket.release(ec);
  if (ec) return;
  moved.assign(protocol, descriptor, ec);
  if (ec) {
    ::close(descriptor);
    return;
  }
  ConnectionSlot slot = std::move(connection->slot_);
  connection.reset();
  asio::post(loops_[target]->context,
             [self = shared_from_this(), target, socket = std::move(moved), slot = std::move(slot)]() mutable {
               self->adopt(target, std::move(socket), std::move(slot));
             });
}

void UpstreamPool::adopt(std::size_t index, Socket socket, ConnectionSlot slot) {
  release(std::make_unique<UpstreamConnection>(index, loops_[index]->open, Transport(std::move(socket)), std::move(slot)));
}

std::optional<std::size_t> UpstreamPool::oldest_waiting_loop() const {
  std::optional<std::size_t> oldest;
  std::int64_t earliest = kNobodyWaits;
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    const std::int64_t since = loops_[i]->oldest_wait.load();
    if (since < earliest) {
      earliest = since;
      oldest = i;
    }
  }
  return oldest;
}

void UpstreamPool::arm_sweep(std::size_t index) {
  Loop& loop = *loops_[index];
  if (loop.sweeping || loop.idle.empty() || loop.closed) return;
  loop.sweeping = true;
  if (!loop.sweep) loop.sweep.emplace(loop.context);
  loop.sweep->expires_at(loop.idle.front()->idle_since_ + upstream_.idle_timeout);
  // Weak: a timer must not keep a pool alive whose client is gone.
  loop.sweep->async_wait([pool = weak_from_this(), index](const beast::error_code& ec) {
    if (ec) return;
    if (auto self = pool.lock()) self->sweep(index);
  });
}

// Closes idle connections past idle_timeout, and those the server has closed, so that
// neither lingers until the next request on this loop.
void UpstreamPool::sweep(std::size_t index) {
  Loop& loop = *loops_[index];
  loop.sweeping = false;
  const auto now = SteadyClock::now();
  std::erase_if(loop.idle, [&](const std::unique_ptr<UpstreamConnection>& connection) {
    return now - connection->idle_since_ >= upstream_.idle_timeout ||
           !quiet_and_open(connection->stream_.socket());
  });
  loop.idle_count.store(loop.idle.size());
  arm_sweep(index);
}

void UpstreamPool::close_loop(std::size_t index) {
  Loop& loop = *loops_[index];
  forget_loop(index);
  // Exchanges and connects in flight find their socket closed and end at once.
  for (auto* connection : std::vector<UpstreamConnection*>(loop.open.begin(), loop.open.end())) {
    beast::error_code ignored;
    connection->stream_.socket().close(ignored);
  }
  while (!loop.waiters.empty()) loop.pop_waiter()->timer.cancel();
}

// Drops what the pool itself holds of this loop: its idle connections and its timer.
void UpstreamPool::forget_loop(std::size_t index) {
  Loop& loop = *loops_[index];
  loop.closed = true;
  loop.sweep.reset();
  loop.idle.clear();
  loop.idle_count.store(0);
}

UpstreamPool::Lease UpstreamPool::closed_lease() const {
  return {nullptr, Error::connect_failed, "upstream client closed"};
}

}  // namespace causeway::http
