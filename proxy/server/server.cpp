#include "server/server.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/version.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "admin/admin_handler.h"
#include "bridge/delivery_flow.h"
#include "bridge/dispatcher.h"
#include "bridge/failure.h"
#include "bridge/flow_metrics.h"
#include "bridge/reply_message.h"
#include "bridge/reply_timer.h"
#include "bridge/reply_waiters.h"
#include "http/http_server.h"
#include "http/io_threads.h"
#include "http/loop_timers.h"
#include "http/upstream_client.h"
#include "http/upstream_service.h"
#include "kafka/embedded_broker.h"
#include "kafka/group_consumer.h"
#include "kafka/kafka_producer.h"
#include "kafka/reply_consumer.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"

namespace causeway::server {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// librdkafka's mock cluster, unlike Kafka, holds a fetch for its whole wait even when
// data arrives; a short wait keeps replies and deliveries fast on the embedded broker.
std::vector<config::BrokerOption> consumer_options(const config::Broker& broker) {
  std::vector<config::BrokerOption> options;
  auto user_set = [&](std::string_view name) {
    for (const auto& option : broker.options) {
      if (option.name == name) return true;
    }
    return false;
  };
  if (broker.embedded && !user_set("fetch.wait.max.ms")) options.push_back({"fetch.wait.max.ms", "5", {}});
  options.insert(options.end(), broker.options.begin(), broker.options.end());
  return options;
}

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
// their last callbacks while the loops, flows and consumers still exist; the loops
// go before what their connections point at.
struct Server::Impl {
  std::shared_ptr<const config::Config> config;
  BuildInfo build;
  metrics::Registry registry;
  bridge::FlowMetrics flow_metrics{registry};
  std::unique_ptr<bridge::ReplyWaiters> waiters;
  std::unique_ptr<bridge::ReplyTimer> reply_timer;
  std::map<std::string, std::int32_t> reply_partitions;
  std::map<std::string, std::unique_ptr<kafka::EmbeddedBroker>> embedded;
  std::vector<std::unique_ptr<bridge::Dispatcher>> dispatchers;
  std::unique_ptr<admin::AdminHandler> admin_handler;
  http::IoThreads workers{std::max(1u, std::thread::hardware_concurrency()), "cw-worker"};
  http::IoThreads admin_loop{1, "cw-admin"};
  std::vector<std::unique_ptr<http::HttpServer>> listeners;
  std::unique_ptr<http::HttpServer> admin_server;
  http::LoopTimers timers{workers};
  std::map<std::string, std::unique_ptr<http::UpstreamClient>> upstream_clients;
  std::map<std::string, std::unique_ptr<http::UpstreamService>> upstream_services;
  std::vector<std::unique_ptr<bridge::DeliveryFlow>> deliveries;
  std::vector<std::unique_ptr<kafka::GroupConsumer>> group_consumers;
  std::vector<std::unique_ptr<kafka::ReplyConsumer>> reply_consumers;
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

  // The partition this instance reads its replies from, per broker.
  static std::int32_t resolve_reply_partition(const config::Broker& broker) {
    if (!broker.reply_partition.ordinal) return broker.reply_partition.partition;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    auto ordinal = kafka::host_ordinal(host);
    if (!ordinal) {
      throw std::runtime_error("broker '" + broker.name + "': reply_partition is 'ordinal' but the host name '" +
                               host + "' does not end in a number");
    }
    return *ordinal;
  }

  // One consumer per reply topic, on this instance's partition, positioned before
  // readiness so that no reply to the first request can be missed.
  void start_replies() {
    std::map<std::pair<std::string, std::string>, const config::Broker*> topics;
    for (const auto& route : config->routes) {
      const auto* target = std::get_if<config::TopicTarget>(&route.to);
      if (target && target->reply) topics[{target->broker, *target->reply}] = config->find_broker(target->broker);
    }
    if (topics.empty()) return;
    waiters = std::make_unique<bridge::ReplyWaiters>(
        bridge::ReplyLimits{config->replies.max_pending, config->replies.keep, config->replies.max_kept_bytes});
    reply_timer = std::make_unique<bridge::ReplyTimer>(*waiters, flow_metrics);
    registry.add_collector([this](std::string& out) {
      metrics::append_scalar_family(out, "causeway_replies_pending", "gauge", "Requests waiting for their reply",
                                    static_cast<double>(waiters->pending()));
    });
    for (const auto& [key, broker] : topics) {
      auto partition = reply_partitions[broker->name] = resolve_reply_partition(*broker);
      auto on_message = [this, broker](bridge::InboundMessage message) {
        auto reply = bridge::read_reply(std::move(message), broker->headers);
        bool matched = reply && waiters->deliver(reply->correlation_id, std::move(reply->response),
                                                 std::chrono::steady_clock::now());
        (matched ? flow_metrics.replies_matched : flow_metrics.replies_orphaned).inc();
      };
      auto& consumer = reply_consumers.emplace_back(std::make_unique<kafka::ReplyConsumer>(
          broker->name, facts.broker_addresses.at(broker->name), consumer_options(*broker), key.second, partition,
          on_message));
      consumer->start(std::chrono::seconds(10));
    }
  }

  void start_upstreams() {
    for (const auto& upstream : config->upstreams) {
      auto& client = upstream_clients[upstream.name] =
          std::make_unique<http::UpstreamClient>(upstream, workers, registry);
      upstream_services[upstream.name] = std::make_unique<http::UpstreamService>(*client);
    }
  }

  // One flow and one group member per delivery route; they read once the loops run.
  void create_deliveries() {
    for (const auto& route : config->routes) {
      const auto* source = route.topic_source();
      if (!source) continue;
      const auto& target = std::get<config::UpstreamTarget>(route.to);
      const auto& broker = *config->find_broker(source->broker);
      auto& flow = deliveries.emplace_back(std::make_unique<bridge::DeliveryFlow>(
          route, broker, *upstream_services.at(target.upstream), *producers.at(broker.name), timers, registry));
      group_consumers.push_back(std::make_unique<kafka::GroupConsumer>(
          broker.name, facts.broker_addresses.at(broker.name), consumer_options(broker), *source, *flow));
    }
    if (group_consumers.empty()) return;
    registry.add_collector([this](std::string& out) {
      out += "# HELP causeway_consumer_lag Messages at the end of a partition not yet handled\n";
      out += "# TYPE causeway_consumer_lag gauge\n";
      for (std::size_t i = 0; i < group_consumers.size(); ++i) {
        for (const auto& lag : group_consumers[i]->lag()) {
          out += "causeway_consumer_lag{route=\"" + metrics::escape_label_value(deliveries[i]->route().name) +
                 "\",partition=\"" + std::to_string(lag.partition) + "\"} " + std::to_string(lag.messages) + "\n";
        }
      }
    });
  }

  void start_listeners() {
    bridge::FlowResources resources;
    resources.producer = [this](const std::string& broker) -> bridge::MessageProducer& {
      return *producers.at(broker);
    };
    resources.reply_partition = [this](const std::string& broker) { return reply_partitions.at(broker); };
    resources.waiters = waiters.get();
    resources.metrics = &flow_metrics;
    for (const auto& listener : config->listeners) {
      auto& dispatcher =
          dispatchers.emplace_back(std::make_unique<bridge::Dispatcher>(config, listener.name, resources));
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
    for (auto& consumer : group_consumers) consumer->stop(deadline);
    wait_for_connections(deadline);
    if (waiters && waiters->pending() > 0) {
      // Still waiting at the deadline: answered now rather than cut off.
      waiters->abandon_all(bridge::failure_response(bridge::Failure::draining, "shutting down before the reply came"));
      wait_for_connections(Clock::now() + 1s);
    }
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
    s.start_replies();
    s.start_upstreams();
    s.create_deliveries();
    s.start_listeners();
    s.start_admin();
    s.workers.start();
    s.admin_loop.start();
    for (auto& consumer : s.group_consumers) consumer->start();
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
