#include "server/server.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/version.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "admin/admin_handler.h"
#include "bridge/callback_sender.h"
#include "bridge/failure.h"
#include "bridge/flow_metrics.h"
#include "bridge/reply_timer.h"
#include "bridge/reply_waiters.h"
#include "http/http_server.h"
#include "http/io_threads.h"
#include "http/loop_timers.h"
#include "http/webhook_client.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "server/config_check.h"
#include "server/config_watch.h"
#include "server/free_memory.h"
#include "server/runtime.h"
#include "webhooks/webhook_signature.h"

namespace causeway::server {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void block_shutdown_signals() {
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Pieces a reload replaced, destroyed on a thread of their own once nothing uses
// them and they are idle: their destructors flush, drain and leave groups.
class Retirement {
 public:
  Retirement() : thread_([this] { run(); }) {}
  ~Retirement() { finish(); }

  void add(std::vector<std::shared_ptr<RetiredPiece>> pieces) {
    std::lock_guard lock(mutex_);
    for (auto& piece : pieces) pieces_.push_back(std::move(piece));
  }

  // Destroys what is left now, whether used or idle or not (shutdown).
  void finish() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    pieces_.clear();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, 500ms);
      std::vector<std::shared_ptr<RetiredPiece>> done;
      std::erase_if(pieces_, [&](auto& piece) {
        if (piece.use_count() > 1 || !piece->idle()) return false;
        done.push_back(std::move(piece));
        return true;
      });
      lock.unlock();
      done.clear();  // destructors may block: not under the lock
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<RetiredPiece>> pieces_;
  std::thread thread_;
};

// Members are declared in the order that makes destruction safe: the runtime's
// producers answer their last callbacks while the loops still exist, and the loops
// go before what their connections point at.
struct Server::Impl {
  std::string file;
  CheckedConfig initial;  // until run() builds the first runtime
  BuildInfo build;
  metrics::Registry registry;
  bridge::FlowMetrics flow_metrics{registry};
  bridge::ReplyWaiters waiters;
  bridge::ReplyTimer reply_timer{waiters, flow_metrics};
  http::IoThreads workers{std::max(1u, std::thread::hardware_concurrency()), "cw-worker"};
  http::IoThreads admin_loop{1, "cw-admin"};
  http::LoopTimers timers{workers};
  // Callbacks outlive reloads, like the waiters; they go before the loops they post on.
  http::WebhookClient webhook_client{workers, registry};
  std::shared_ptr<bridge::CallbackSender> callbacks =
      std::make_shared<bridge::CallbackSender>(webhook_client, timers, registry, webhooks::signature_header);
  std::shared_ptr<admin::AdminHandler> admin_handler;
  std::unique_ptr<http::HttpServer> admin_server;
  Retirement retirement;

  std::mutex runtime_mutex;  // reloads one at a time; readers copy the pointer
  std::shared_ptr<Runtime> runtime;
  std::unique_ptr<ConfigWatch> watch;

  metrics::Counter& reloads_ok;
  metrics::Counter& reloads_failed;
  admin::RuntimeFacts facts;
  std::mutex facts_mutex;
  std::atomic<bool> started{false};
  std::atomic<bool> draining{false};
  std::mutex readiness_mutex;
  Clock::time_point readiness_checked{};
  std::optional<std::string> broker_problem;
  std::map<std::string, std::string> broker_states;  // broker -> "ready" or its problem, for the dashboard

  Impl(std::shared_ptr<const config::Config> config, BuildInfo build_)
      : file(config->file),
        build(std::move(build_)),
        waiters(bridge::ReplyLimits{config->replies.max_pending, config->replies.keep, config->replies.max_kept_bytes}),
        reloads_ok(registry.counter("causeway_config_reloads_total", "Config reloads, by result", {"result"})
                       .with({"success"})),
        reloads_failed(registry.counter("causeway_config_reloads_total", "Config reloads, by result", {"result"})
                           .with({"failure"})) {
    facts.version = build.version;
    reserve_sockets(*config);
    registry.add_collector([this](std::string& out) {
      metrics::append_scalar_family(out, "causeway_replies_pending", "gauge", "Requests waiting for their reply",
                                    static_cast<double>(waiters.pending()));
    });
  }

  // For as many connections as the HTTP listeners take, spread over the loops as they are.
  void reserve_sockets(const config::Config& config) {
    std::size_t connections = 0;
    for (const auto& listener : config.listeners) {
      if (listener.protocol == config::Protocol::http) connections += listener.limits.max_connections;
    }
    workers.reserve_sockets(connections / workers.size() + 1);
  }

  Services services() {
    return Services{registry,  flow_metrics, waiters, *callbacks,
                    workers,   timers,       [this] { return !readiness().has_value(); }};
  }

  std::shared_ptr<Runtime> current() {
    std::lock_guard lock(runtime_mutex);
    return runtime;
  }

  void register_build_info() {
    metrics::register_process_metrics(registry);
    registry
        .gauge("causeway_build_info", "Causeway's version and the libraries it runs on; always 1",
               {"version", "librdkafka", "boost"})
        .with({build.version, rd_kafka_version_str(), BOOST_LIB_VERSION})
        .set(1);
    registry.add_collector([this](std::string& out) {
      out += "# HELP causeway_consumer_lag Messages at the end of a partition not yet handled\n";
      out += "# TYPE causeway_consumer_lag gauge\n";
      if (auto now = current()) now->write_lag(out);
    });
  }

  void start_admin(const config::Config& config) {
    admin_handler = std::make_shared<admin::AdminHandler>(
        registry, [this] { return readiness(); }, [this] { return current()->config(); },
        [this] {
          admin::RuntimeFacts copy;
          {
            std::lock_guard lock(facts_mutex);
            copy = facts;
          }
          std::lock_guard lock(readiness_mutex);
          copy.broker_states = broker_states;
          const auto running = current();
          copy.upstream_states = running->upstream_states();
          copy.broker_breakers = running->broker_breakers();
          return copy;
        },
        [this] { return reload("POST /reload"); });
    admin_server = std::make_unique<http::HttpServer>("admin", config.admin.listen, config::HttpLimits{},
                                                      admin_handler, admin_loop, registry);
    admin_server->start();
    std::lock_guard lock(facts_mutex);
    facts.admin_address = admin_server->local_endpoint().text();
    spdlog::info("admin listening on {} (dashboard at /; /metrics /healthz /readyz /config /routes /dashboard.json, POST /reload)",
                 facts.admin_address);
  }

  void publish_facts(const Runtime& now) {
    std::lock_guard lock(facts_mutex);
    now.describe(facts);
  }

  // Kept for the dashboard, which shows how the last reload went.
  void note_reload(const std::string& result, const std::string& message) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char at[32];
    std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &utc);
    std::lock_guard lock(facts_mutex);
    facts.last_reload = {result, message, at};
  }

  // Validates the whole file, then builds a runtime that takes over what did not
  // change and swaps it in. On any error the running config stays.
  admin::ReloadResult reload(const std::string& why) {
    std::lock_guard lock(runtime_mutex);
    if (draining.load()) return {false, "shutting down"};
    try {
      auto checked = load_checked_config(file);
      auto next = checked.config;
      auto built = std::make_shared<Runtime>(std::move(checked), services(), runtime.get());
      retirement.add(built->take_over(runtime.get()));
      runtime = built;
      reserve_sockets(*next);
      publish_facts(*runtime);
      reloads_ok.inc();
      const std::string what = runtime->summary().empty() ? "nothing to keep" : runtime->summary();
      spdlog::info("config reloaded ({}): {} route(s); {}", why, next->routes.size(), what);
      note_reload("success", why + ": reloaded: " + what);
      return {true, "reloaded: " + what};
    } catch (const std::exception& error) {
      reloads_failed.inc();
      spdlog::error("config reload ({}) failed, the running config stays: {}", why, error.what());
      note_reload("failure", why + ": " + error.what());
      return {false, error.what()};
    }
  }

  // Ready once everything listens and every broker answers; cached for a second so
  // frequent probes do not turn into metadata requests.
  std::optional<std::string> readiness() {
    if (draining.load()) return "draining: shutting down";
    if (!started.load()) return "starting";
    std::lock_guard lock(readiness_mutex);
    if (Clock::now() - readiness_checked > 1s) {
      broker_states.clear();
      broker_problem.reset();
      for (auto& [name, problem] : current()->broker_problems()) {
        broker_states[name] = problem.value_or("ready");
        if (problem && !broker_problem) broker_problem = problem;
      }
      readiness_checked = Clock::now();
    }
    if (broker_problem) return broker_problem;
    return current()->source_problem();
  }

  // The allocator keeps what connections and replies freed, so RSS stayed at its peak
  // after a load (139 MiB after 10k connections closed); once many are gone, every loop
  // gives its free pages back. Checked every 2 s; that is not free, so only after a drop.
  // The listeners' high-water marks count a burst of connections that came and went
  // between two checks, which a look at the open ones alone missed. Kept replies count
  // too: 100k timed-out requests' 504s expiring after the pending ones left 29 MiB.
  void trim_after_load(std::size_t peak = 0) {
    timers.after(std::chrono::seconds(2), [this, peak] {
      if (draining.load()) return;
      const std::size_t replies = waiters.pending() + waiters.kept();
      const std::size_t load = current()->open_connections() + replies;
      std::size_t next_peak = std::max({peak, load, current()->take_most_connections() + replies});
      if (next_peak >= kTrimDrop && load <= next_peak - kTrimDrop / 2) {
        workers.post_to_each(give_back_thread_memory);
        admin_loop.post_to_each(give_back_thread_memory);
        next_peak = load;
      }
      trim_after_load(next_peak);
    });
  }
  static constexpr std::size_t kTrimDrop = 1000;  // connections or pending replies

  // After a start that was not ready: says "ready" once it is (probes may never ask).
  void log_when_ready() {
    timers.after(std::chrono::milliseconds(500), [this] {
      if (draining.load()) return;
      if (readiness()) return log_when_ready();
      spdlog::info("ready");
    });
  }

  // Serves SIGHUP as a reload; returns the shutdown signal.
  int wait_for_shutdown_signal() {
    sigset_t set = shutdown_signals();
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (signal != SIGHUP) return signal;
      reload("SIGHUP");
    }
  }

  // Waits for the listeners' connections and the pending callbacks to finish, or the
  // deadline; a second shutdown signal ends the process at once.
  void wait_for_connections(Runtime& now, Clock::time_point deadline) {
    sigset_t set = shutdown_signals();
    for (;;) {
      const std::size_t open = now.open_connections();
      const std::size_t calls = callbacks->pending();
      if (open == 0 && calls == 0) return;
      if (Clock::now() >= deadline) {
        if (open > 0) spdlog::warn("drain timeout: closing {} connection(s) that did not finish", open);
        if (calls > 0) spdlog::warn("drain timeout: {} callback(s) not delivered go to their dead letter topic", calls);
        return;
      }
      timespec wait{0, 50'000'000};
      int signal = sigtimedwait(&set, nullptr, &wait);
      if (signal == SIGINT || signal == SIGTERM) {
        spdlog::warn("second signal: exiting without draining");
        spdlog::default_logger()->flush();
        std::_Exit(1);
      }
    }
  }

  void drain() {
    std::shared_ptr<Runtime> now;
    {
      std::lock_guard lock(runtime_mutex);  // no reload from here on
      draining.store(true);
      now = runtime;
      now->drain_listeners();  // together with readiness: no new connection is served after this
    }
    const auto timeout = now->config()->drain_timeout;
    const auto deadline = Clock::now() + timeout;
    spdlog::info("draining: /readyz answers 503, listeners stop accepting, in-flight requests finish (up to {}s)",
                 std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
    watch.reset();
    retirement.finish();
    now->stop_consumers(deadline);
    wait_for_connections(*now, deadline);
    // Callbacks not delivered by now are dead-lettered, not retried or sent after the deadline.
    callbacks->stop_retrying();
    if (waiters.pending() > 0) {
      // Still waiting at the deadline: answered now rather than cut off.
      waiters.abandon_all(bridge::failure_response(bridge::Failure::draining, "shutting down before the reply came"));
      wait_for_connections(*now, Clock::now() + 1s);
    }
    // Their dead letters are being produced: a moment more, so that the flush below holds them.
    const auto last = std::max(deadline, Clock::now() + 2s);
    if (!callbacks->wait_idle(last)) {
      spdlog::error("{} callback(s) could be neither delivered nor dead-lettered before exit", callbacks->pending());
    }
    now->flush_producers(last);
    admin_server->drain();
    workers.stop();
    admin_loop.stop();
  }
};

Server::Server(CheckedConfig config, BuildInfo build)
    : impl_(std::make_unique<Impl>(config.config, std::move(build))) {
  impl_->initial = std::move(config);
}

Server::~Server() {
  // The runtime goes while the loops still exist (its producers post their last
  // answers there), and before the services it points at.
  std::lock_guard lock(impl_->runtime_mutex);
  impl_->runtime.reset();
}

int Server::run() {
  auto& s = *impl_;
  auto checked = std::move(s.initial);
  auto config = checked.config;
  spdlog::info("causeway {} starting with {} ({} route(s))", s.build.version, config->file, config->routes.size());
  try {
    s.register_build_info();
    s.runtime = std::make_shared<Runtime>(std::move(checked), s.services(), nullptr);
    s.runtime->take_over(nullptr);
    s.publish_facts(*s.runtime);
    s.start_admin(*config);
    s.workers.start();
    s.admin_loop.start();
  } catch (...) {
    s.workers.stop();
    s.admin_loop.stop();
    throw;
  }
  s.watch = std::make_unique<ConfigWatch>(config->file, [&s] { s.reload("the file changed"); });
  s.trim_after_load();
  s.started.store(true);
  if (auto problem = s.readiness()) {
    spdlog::warn("started, not ready: {} (/readyz answers 503 until it is)", *problem);
    s.log_when_ready();
  } else {
    spdlog::info("ready");
  }

  int signal = s.wait_for_shutdown_signal();
  spdlog::info("{} received", signal == SIGINT ? "SIGINT" : "SIGTERM");
  s.drain();
  spdlog::info("stopped");
  return 0;
}

}  // namespace causeway::server
