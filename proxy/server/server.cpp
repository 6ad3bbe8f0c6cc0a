#include "server/server.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/version.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "admin/admin_handler.h"
#include "bridge/dispatcher.h"
#include "bridge/flow_metrics.h"
#include "http/http_server.h"
#include "http/io_threads.h"
#include "kafka/embedded_broker.h"
#include "kafka/kafka_producer.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"

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

// Members are declared in the order that makes destruction safe: producers answer
// their last callbacks while the loops still exist; the loops go before what their
// connections point at.
struct Server::Impl {
  std::shared_ptr<const config::Config> config;
  BuildInfo build;
  metrics::Registry registry;
  bridge::FlowMetrics flow_metrics{registry};
  std::map<std::string, std::unique_ptr<kafka::EmbeddedBroker>> embedded;
  std::vector<std::unique_ptr<bridge::Dispatcher>> dispatchers;
  std::unique_ptr<admin::AdminHandler> admin_handler;
  http::IoThreads workers{std::max(1u, std::thread::hardware_concurrency()), "cw-worker"};
  http::IoThreads admin_loop{1, "cw-admin"};
  std::vector<std::unique_ptr<http::HttpServer>> listeners;
  std::unique_ptr<http::HttpServer> admin_server;
  std::map<std::string, std::unique_ptr<kafka::KafkaProducer>> producers;

  admin::RuntimeFacts facts;
  std::atomic<bool> started{false};
  std::atomic<bool> draining{false};
  std::mutex readiness_mutex;
  Clock::time_point readiness_checked{};
  std::optional<std::string> broker_problem;

  void start_brokers() {
    for (const auto& broker : config->brokers) {
      std::string bootstrap = broker.bootstrap;
      if (broker.embedded) {
        auto& instance = embedded[broker.name] = std::make_unique<kafka::EmbeddedBroker>();
        bootstrap = instance->bootstrap();
        spdlog::warn(
            "broker '{}': embedded Kafka broker listening on {} (in memory, for trying Causeway out: it keeps "
            "nothing across restarts; read it with kcat -b {} -t TOPIC -C)",
            broker.name, bootstrap, bootstrap);
      }
      facts.broker_addresses[broker.name] = bootstrap;
      producers[broker.name] = std::make_unique<kafka::KafkaProducer>(broker.name, bootstrap, broker.options);
    }
  }

  void start_listeners() {
    auto producer_for = [this](const std::string& broker) -> bridge::MessageProducer& {
      return *producers.at(broker);
    };
    for (const auto& listener : config->listeners) {
      auto& dispatcher =
          dispatchers.emplace_back(std::make_unique<bridge::Dispatcher>(config, listener.name, producer_for, flow_metrics));
      auto& server = listeners.emplace_back(std::make_unique<http::HttpServer>(
          listener.name, listener.listen, listener.limits, *dispatcher, workers, registry));
      server->start();
      auto bound = server->local_endpoint().text();
      facts.listener_addresses[listener.name] = bound;
      spdlog::info("listener '{}' ({}) listening on {}", listener.name, config::to_string(listener.protocol), bound);
    }
  }

  void start_admin() {
    admin_handler = std::make_unique<admin::AdminHandler>(
        registry, flow_metrics, [this] { return readiness(); }, [this] { return config; },
        [this] { return facts; });
    admin_server = std::make_unique<http::HttpServer>("admin", config->admin.listen, config::HttpLimits{},
                                                      *admin_handler, admin_loop, registry);
    admin_server->start();
    facts.admin_address = admin_server->local_endpoint().text();
    spdlog::info("admin listening on {} (/metrics /healthz /readyz /config /routes)", facts.admin_address);
  }

  void register_build_info() {
    metrics::register_process_metrics(registry);
    registry
        .gauge("causeway_build_info", "Causeway's version and the libraries it runs on; always 1",
               {"version", "librdkafka", "boost"})
        .with({build.version, rd_kafka_version_str(), BOOST_LIB_VERSION})
        .set(1);
  }

  // Ready once everything listens and every broker answers; cached for a second so
  // frequent probes do not turn into metadata requests.
  std::optional<std::string> readiness() {
    if (draining.load()) return "draining: shutting down";
    if (!started.load()) return "starting";
    std::lock_guard lock(readiness_mutex);
    if (Clock::now() - readiness_checked > 1s) {
      broker_problem.reset();
      for (auto& [name, producer] : producers) {
        if (!producer->reachable(500ms)) {
          broker_problem = "broker '" + name + "' is unreachable";
          break;
        }
      }
      readiness_checked = Clock::now();
    }
    return broker_problem;
  }

  // SIGHUP is taken and answered here until reload lands; returns the shutdown signal.
  int wait_for_shutdown_signal() {
    sigset_t set = shutdown_signals();
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (signal == SIGHUP) {
        spdlog::warn("SIGHUP: reloading the config is not implemented yet; restart Causeway to apply changes");
        continue;
      }
      return signal;
    }
  }

  // Waits for the listeners' connections to finish, or the deadline; a second
  // shutdown signal ends the process at once.
  void wait_for_connections(Clock::time_point deadline) {
    sigset_t set = shutdown_signals();
    for (;;) {
      std::size_t open = 0;
      for (auto& listener : listeners) open += listener->open_connections();
      if (open == 0) return;
      if (Clock::now() >= deadline) {
        spdlog::warn("drain timeout: closing {} connection(s) that did not finish", open);
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
    draining.store(true);
    auto deadline = Clock::now() + config->drain_timeout;
    spdlog::info("draining: /readyz answers 503, listeners stop accepting, in-flight requests finish (up to {}s)",
                 std::chrono::duration_cast<std::chrono::seconds>(config->drain_timeout).count());
    for (auto& listener : listeners) listener->drain();
    wait_for_connections(deadline);
    for (auto& [name, producer] : producers) {
      auto left = std::max<Clock::duration>(deadline - Clock::now(), 1s);
      if (auto undelivered = producer->flush(std::chrono::duration_cast<std::chrono::milliseconds>(left))) {
        spdlog::error("broker '{}': {} message(s) were still undelivered at exit", name, undelivered);
      }
    }
    admin_server->drain();
    workers.stop();
    admin_loop.stop();
  }
};

Server::Server(std::shared_ptr<const config::Config> config, BuildInfo build) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->build = std::move(build);
  impl_->facts.version = impl_->build.version;
}

Server::~Server() = default;

int Server::run() {
  auto& s = *impl_;
  spdlog::info("causeway {} starting with {} ({} route(s))", s.build.version, s.config->file, s.config->routes.size());
  try {
    s.register_build_info();
    s.start_brokers();
    s.start_listeners();
    s.start_admin();
    s.workers.start();
    s.admin_loop.start();
  } catch (...) {
    s.workers.stop();
    s.admin_loop.stop();
    throw;
  }
  s.started.store(true);
  spdlog::info("ready");

  int signal = s.wait_for_shutdown_signal();
  spdlog::info("{} received", signal == SIGINT ? "SIGINT" : "SIGTERM");
  s.drain();
  spdlog::info("stopped");
  return 0;
}

}  // namespace causeway::server
