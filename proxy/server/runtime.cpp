#include "server/runtime.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

#include "bridge/admission.h"
#include "bridge/delivery_flow.h"
#include "bridge/dispatcher.h"
#include "bridge/flow_metrics.h"
#include "bridge/reply_message.h"
#include "bridge/reply_waiters.h"
#include "grpc/grpc_flows.h"
#include "grpc/grpc_server.h"
#include "grpc/grpc_upstream.h"
#include "grpc/proto_catalog.h"
#include "http/http_server.h"
#include "http/io_threads.h"
#include "http/loop_timers.h"
#include "http/upstream_client.h"
#include "http/upstream_service.h"
#include "kafka/embedded_broker.h"
#include "kafka/group_consumer.h"
#include "kafka/kafka_producer.h"
#include "kafka/reply_consumer.h"
#include "metrics/registry.h"
#include "server/config_check.h"
#include "server/retired_piece.h"

namespace causeway::server {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// librdkafka's mock cluster, unlike Kafka, holds a fetch for its whole wait even when
// data arrives; a short wait keeps replies and deliveries fast on the embedded broker.
std::vector<config::BrokerOption> consumer_options(const config::Broker& broker) {
  std::vector<config::BrokerOption> options;
  const bool user_set = std::any_of(broker.options.begin(), broker.options.end(),
                                    [](const config::BrokerOption& option) { return option.name == "fetch.wait.max.ms"; });
  if (broker.embedded && !user_set) options.push_back({"fetch.wait.max.ms", "5", {}});
  options.insert(options.end(), broker.options.begin(), broker.options.end());
  return options;
}

std::int32_t resolve_reply_partition(const config::Broker& broker) {
  if (!broker.reply_partition.ordinal) return broker.reply_partition.partition;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  auto ordinal = kafka::host_ordinal(host);
  if (!ordinal) {
    throw std::runtime_error("broker '" + broker.name + "': reply_partition is 'ordinal' but the host name '" + host +
                             "' does not end in a number");
  }
  return *ordinal;
}

bool same_options(const std::vector<config::BrokerOption>& a, const std::vector<config::BrokerOption>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.name == y.name && x.value == y.value;
  });
}

bool same_broker(const config::Broker& a, const config::Broker& b) {
  const auto& x = a.headers;
  const auto& y = b.headers;
  return a.type == b.type && a.embedded == b.embedded && a.bootstrap == b.bootstrap && same_options(a.options, b.options) &&
         x.correlation_id == y.correlation_id && x.reply_to == y.reply_to && x.reply_partition == y.reply_partition &&
         x.status == y.status && x.reply_partition_encoding == y.reply_partition_encoding &&
         a.reply_partition.ordinal == b.reply_partition.ordinal &&
         a.reply_partition.partition == b.reply_partition.partition;
}

bool same_file(const std::optional<config::FileSetting>& a, const std::optional<config::FileSetting>& b) {
  return a.has_value() == b.has_value() && (!a || a->path == b->path);
}

// The settings only; whether the files still hold the same bytes is compared apart.
bool same_tls(const std::optional<config::UpstreamTls>& a, const std::optional<config::UpstreamTls>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return same_file(a->ca, b->ca) && a->verify == b->verify && a->server_name == b->server_name &&
         same_file(a->cert, b->cert) && same_file(a->key, b->key);
}

bool same_upstream(const config::Upstream& a, const config::Upstream& b) {
  return a.type == b.type && a.scheme == b.scheme && a.host == b.host && a.port == b.port && same_tls(a.tls, b.tls) &&
         a.base_path == b.base_path && a.timeout == b.timeout && a.connect_timeout == b.connect_timeout &&
         a.max_connections == b.max_connections && a.max_response_bytes == b.max_response_bytes &&
         a.idle_timeout == b.idle_timeout && a.circuit_breaker.has_value() == b.circuit_breaker.has_value() &&
         (!a.circuit_breaker || (a.circuit_breaker->failures == b.circuit_breaker->failures &&
                                 a.circuit_breaker->open_for == b.circuit_breaker->open_for));
}

bool same_delivery(const config::Route& a, const config::Route& b) {
  const auto& from_a = *a.topic_source();
  const auto& from_b = *b.topic_source();
  const auto& to_a = std::get<config::UpstreamTarget>(a.to);
  const auto& to_b = std::get<config::UpstreamTarget>(b.to);
  return from_a.broker == from_b.broker && from_a.topic == from_b.topic && from_a.group == from_b.group &&
         to_a.upstream == to_b.upstream && to_a.method == to_b.method &&
         (to_a.path ? to_a.path->text() : "") == (to_b.path ? to_b.path->text() : "") &&
         (to_a.rpc ? to_a.rpc->name : "") == (to_b.rpc ? to_b.rpc->name : "") && a.encoding == b.encoding &&
         to_a.timeout == to_b.timeout &&
         a.retry.attempts == b.retry.attempts && a.retry.backoff == b.retry.backoff &&
         a.retry.max_backoff == b.retry.max_backoff && a.dead_letter == b.dead_letter &&
         a.concurrency == b.concurrency && a.max_buffered == b.max_buffered;
}

// The same socket: kept, with its limits, handler and certificates switched. TLS on or
// off makes another listener.
// A gRPC listener's limits are fixed when it starts: changed ones make a new listener.
bool same_listener(const config::Listener& a, const config::Listener& b) {
  const auto& x = a.grpc_limits;
  const auto& y = b.grpc_limits;
  const bool same_grpc = a.protocol != config::Protocol::grpc ||
                         (x.max_concurrent_streams == y.max_concurrent_streams &&
                          x.max_message_bytes == y.max_message_bytes && x.max_metadata_bytes == y.max_metadata_bytes &&
                          x.max_connection_age == y.max_connection_age &&
                          x.max_connection_idle == y.max_connection_idle && x.min_ping_interval == y.min_ping_interval);
  return a.protocol == b.protocol && a.listen.host == b.listen.host && a.listen.port == b.listen.port &&
         a.tls.has_value() == b.tls.has_value() && same_grpc;
}

grpc::GrpcServerOptions grpc_options(const config::Listener& listener) {
  grpc::GrpcServerOptions options;
  options.name = listener.name;
  options.address = listener.listen.text();
  const auto& limits = listener.grpc_limits;
  options.limits.max_concurrent_streams = limits.max_concurrent_streams;
  options.limits.max_receive_message_bytes = limits.max_message_bytes;
  options.limits.max_send_message_bytes = limits.max_message_bytes;
  options.limits.max_metadata_bytes = limits.max_metadata_bytes;
  options.limits.max_connection_age = limits.max_connection_age;
  options.limits.max_connection_idle = limits.max_connection_idle;
  options.limits.min_ping_interval = limits.min_ping_interval;
  options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return options;
}

// The piece of the previous runtime under this name, when its settings are the same.
template <typename Piece, typename Same>
std::shared_ptr<Piece> reusable(const std::map<std::string, std::shared_ptr<Piece>>* previous, const std::string& name,
                                Same same) {
  if (!previous) return nullptr;
  auto found = previous->find(name);
  if (found == previous->end() || !same(*found->second)) return nullptr;
  return found->second;
}

}  // namespace

// Members of each piece are declared so that destruction runs in a safe order.
struct Runtime::Broker : RetiredPiece {
  std::shared_ptr<const config::Config> config;  // settings point into it
  const config::Broker* settings = nullptr;
  std::unique_ptr<kafka::EmbeddedBroker> embedded;
  std::shared_ptr<kafka::KafkaProducer> producer;  // goes before the embedded broker it talks to
  std::string address;
  std::int32_t reply_partition = 0;
};

struct Runtime::ReplyReader : RetiredPiece {
  std::shared_ptr<Broker> broker;
  std::unique_ptr<kafka::ReplyConsumer> consumer;
};

struct Runtime::Upstream : RetiredPiece {
  config::Upstream settings;
  std::string tls_files;  // what the TLS files held when the client was built
  std::shared_ptr<bridge::CircuitBreaker> breaker;  // null without one
  std::shared_ptr<http::UpstreamClient> client;     // HTTP upstreams
  std::unique_ptr<http::UpstreamService> http_service;
  std::shared_ptr<grpc::GrpcUpstream> grpc;         // gRPC upstreams
  bridge::ServiceCaller& service() const {
    return grpc ? static_cast<bridge::ServiceCaller&>(*grpc) : *http_service;
  }
  ~Upstream() override {
    http_service.reset();
    client.reset();
  }
};

struct Runtime::Delivery : RetiredPiece {
  std::shared_ptr<const config::Config> config;  // the flow's route points into it
  std::shared_ptr<Broker> broker;
  std::shared_ptr<Upstream> upstream;
  std::unique_ptr<bridge::ServiceCaller> transcoding;  // gRPC with encoding: json, around the upstream
  std::shared_ptr<bridge::DeliveryFlow> flow;
  std::unique_ptr<kafka::GroupConsumer> consumer;  // stops before the flow goes
  Clock::duration drain_timeout{};
  ~Delivery() override {
    if (consumer) consumer->stop(Clock::now() + drain_timeout);
  }
};

struct Runtime::Listener : RetiredPiece {
  config::Listener settings;
  std::unique_ptr<http::HttpServer> server;    // HTTP listeners
  std::unique_ptr<grpc::GrpcServer> grpc;      // gRPC listeners
  std::future<void> grpc_stopped;              // set once draining: calls get drain_timeout to finish
  Clock::duration drain_timeout{};
  std::string bound;

  void drain() {
    if (server) return server->drain();
    if (grpc_stopped.valid()) return;
    grpc_stopped = std::async(std::launch::async, [server = grpc.get(), grace = drain_timeout] {
      server->shutdown(std::chrono::duration_cast<std::chrono::milliseconds>(grace));
    });
  }
  // A gRPC listener counts as one open connection until its calls are done.
  std::size_t open_connections() const {
    if (server) return server->open_connections();
    const bool stopped = grpc_stopped.valid() && grpc_stopped.wait_for(0s) == std::future_status::ready;
    return stopped ? 0 : 1;
  }
  bool idle() const override { return open_connections() == 0; }
  ~Listener() override {
    if (grpc_stopped.valid()) grpc_stopped.wait();
  }
};

struct Runtime::ListenerSwitch {
  std::shared_ptr<Listener> listener;
  std::shared_ptr<bridge::Dispatcher> dispatcher;
  std::shared_ptr<http::TlsContext> tls;  // HTTPS: the certificates as read for this config
  config::HttpLimits limits;
  grpc::HealthProbe health;  // gRPC listeners
};

Runtime::Runtime(CheckedConfig config, Services services, Runtime* previous)
    : config_(std::move(config.config)), catalog_(std::move(config.catalog)), services_(services) {
  build_brokers(previous);
  build_reply_readers(previous);
  build_upstreams(previous);
  build_deliveries(previous);
  build_listeners(previous);
}

Runtime::~Runtime() = default;

void Runtime::note(const std::string& kind, const std::string& name, bool kept) {
  summary_ += (summary_.empty() ? "" : ", ") + kind + " '" + name + "' " + (kept ? "kept" : "new");
}

void Runtime::build_brokers(Runtime* previous) {
  for (const auto& settings : config_->brokers) {
    auto kept = reusable(previous ? &previous->brokers_ : nullptr, settings.name,
                         [&](const Broker& old) { return same_broker(*old.settings, settings); });
    if (previous) note("broker", settings.name, kept != nullptr);
    if (kept) {
      brokers_[settings.name] = kept;
      continue;
    }
    auto broker = std::make_shared<Broker>();
    broker->config = config_;
    broker->settings = &settings;
    broker->address = settings.bootstrap;
    if (settings.embedded) {
      broker->embedded = std::make_unique<kafka::EmbeddedBroker>();
      broker->address = broker->embedded->bootstrap();
      spdlog::warn(
          "broker '{}': embedded Kafka broker listening on {} (in memory, for trying Causeway out: it keeps "
          "nothing across restarts; read it with kcat -b {} -t TOPIC -C)",
          settings.name, broker->address, broker->address);
    }
    broker->producer = std::make_shared<kafka::KafkaProducer>(settings.name, broker->address, settings.options);
    broker->reply_partition = resolve_reply_partition(settings);
    brokers_[settings.name] = std::move(broker);
  }
}

void Runtime::build_reply_readers(Runtime* previous) {
  for (const auto& route : config_->routes) {
    const auto* target = std::get_if<config::TopicTarget>(&route.to);
    if (!target || !target->reply) continue;
    std::pair key{target->broker, *target->reply};
    if (reply_readers_.contains(key)) continue;
    auto& broker = brokers_.at(target->broker);
    if (previous) {
      auto old = previous->reply_readers_.find(key);
      if (old != previous->reply_readers_.end() && old->second->broker == broker) {
        reply_readers_[key] = old->second;  // same broker piece: same partition, same position
        continue;
      }
    }
    auto reader = std::make_shared<ReplyReader>();
    reader->broker = broker;
    auto on_message = [waiters = &services_.waiters, metrics = &services_.flow_metrics,
                       wire = broker->settings->headers](bridge::InboundMessage message) {
      auto reply = bridge::read_reply(std::move(message), wire);
      bool matched =
          reply && waiters->deliver(reply->correlation_id, std::move(reply->response), std::chrono::steady_clock::now());
      (matched ? metrics->replies_matched : metrics->replies_orphaned).inc();
    };
    reader->consumer = std::make_unique<kafka::ReplyConsumer>(broker->settings->name, broker->address,
                                                              consumer_options(*broker->settings), key.second,
                                                              broker->reply_partition, on_message);
    // Positioned before this runtime serves anything, so no reply to its first request is missed.
    reader->consumer->start(std::chrono::seconds(10));
    reply_readers_[key] = std::move(reader);
  }
}

void Runtime::build_upstreams(Runtime* previous) {
  for (const auto& settings : config_->upstreams) {
    // Read again on every reload: a file replaced in place (a renewed certificate, a
    // new CA bundle) makes a new client even though the settings are the same.
    http::LoadedTls tls;
    if (settings.tls) tls = upstream_tls(*config_, settings);
    auto kept = reusable(previous ? &previous->upstreams_ : nullptr, settings.name, [&](const Upstream& old) {
      return same_upstream(old.settings, settings) && old.tls_files == tls.contents;
    });
    if (previous) note("upstream", settings.name, kept != nullptr);
    if (kept) {
      upstreams_[settings.name] = kept;
      continue;
    }
    auto upstream = std::make_shared<Upstream>();
    upstream->settings = settings;
    upstream->tls_files = std::move(tls.contents);
    if (settings.tls && !settings.tls->verify) {
      spdlog::warn("upstream '{}': TLS verification is off (tls.verify: false): any server can pose as {}",
                   settings.name, settings.tls->server_name);
    }
    if (settings.circuit_breaker) {
      upstream->breaker = std::make_shared<bridge::CircuitBreaker>(settings.circuit_breaker->failures,
                                                                   settings.circuit_breaker->open_for);
    }
    if (settings.type == "grpc") {
      grpc::GrpcUpstreamOptions options;
      options.name = settings.name;
      options.address = config::Endpoint{settings.host, settings.port}.text();
      options.timeout = settings.timeout;
      options.max_response_bytes = settings.max_response_bytes;
      upstream->grpc = std::make_shared<grpc::GrpcUpstream>(options, services_.registry);
    } else {
      upstream->client = std::make_shared<http::UpstreamClient>(upstream->settings, services_.workers,
                                                                services_.registry, std::move(tls.context));
      upstream->http_service = std::make_unique<http::UpstreamService>(*upstream->client);
    }
    upstreams_[settings.name] = std::move(upstream);
  }
}

void Runtime::build_deliveries(Runtime* previous) {
  for (const auto& route : config_->routes) {
    const auto* source = route.topic_source();
    if (!source) continue;
    const auto& target = std::get<config::UpstreamTarget>(route.to);
    auto& broker = brokers_.at(source->broker);
    auto& upstream = upstreams_.at(target.upstream);
    auto kept = reusable(previous ? &previous->deliveries_ : nullptr, route.name, [&](const Delivery& old) {
      return old.broker == broker && old.upstream == upstream && same_delivery(old.flow->route(), route);
    });
    if (previous) note("delivery", route.name, kept != nullptr);
    if (kept) {
      deliveries_[route.name] = kept;
      continue;
    }
    auto delivery = std::make_shared<Delivery>();
    delivery->config = config_;
    delivery->broker = broker;
    delivery->upstream = upstream;
    delivery->drain_timeout = config_->drain_timeout;
    if (upstream->grpc) delivery->transcoding = grpc::make_delivery_caller(route, grpc_resources());
    auto& caller = delivery->transcoding ? *delivery->transcoding : upstream->service();
    delivery->flow = std::make_shared<bridge::DeliveryFlow>(route, *broker->settings, caller, broker->producer,
                                                            services_.timers, services_.registry);
    delivery->consumer = std::make_unique<kafka::GroupConsumer>(
        broker->settings->name, broker->address, consumer_options(*broker->settings), *source, *delivery->flow);
    deliveries_[route.name] = std::move(delivery);
    new_deliveries_.push_back(route.name);
  }
}

void Runtime::build_listeners(Runtime* previous) {
  bridge::FlowResources resources;
  resources.producer = [this](const std::string& name) {
    auto& broker = brokers_.at(name);
    // Shares ownership of the whole broker piece: a request in flight keeps it alive.
    return std::shared_ptr<bridge::MessageProducer>(broker, broker->producer.get());
  };
  resources.reply_partition = [this](const std::string& name) { return brokers_.at(name)->reply_partition; };
  resources.waiters = &services_.waiters;
  resources.metrics = &services_.flow_metrics;
  resources.forward_upstream = [this](const std::string& name) {
    auto& upstream = upstreams_.at(name);
    // The client is shared with the whole piece: a forward in flight keeps it alive.
    return bridge::ForwardUpstream{std::shared_ptr<void>(upstream, upstream->client.get()), upstream->breaker,
                                   upstream->settings.timeout};
  };
  resources.grpc_flow = [grpc = grpc_resources()](const config::Route& route, std::unique_ptr<bridge::Flow> plain) {
    return grpc::make_grpc_flow(route, grpc, std::move(plain));
  };
  resources.annotated_bindings = [grpc = grpc_resources()](const config::Route& route) {
    std::vector<std::string> skipped;  // load_checked_config() logged them
    std::vector<bridge::AnnotatedBinding> entries;
    for (const auto& binding : grpc::rest_bindings(*grpc.catalog, route, skipped)) {
      entries.push_back({binding.http_method, binding.path, grpc::make_binding_flow(route, binding, grpc)});
    }
    return entries;
  };
  for (const auto& settings : config_->listeners) {
    auto dispatcher = std::make_shared<bridge::Dispatcher>(config_, settings.name, resources);
    if (settings.protocol == config::Protocol::grpc) {
      auto kept = reusable(previous ? &previous->listeners_ : nullptr, settings.name,
                           [&](const Listener& old) { return same_listener(old.settings, settings); });
      if (previous) note("listener", settings.name, kept != nullptr);
      if (kept) {
        listeners_[settings.name] = kept;
        pending_handlers_.push_back(ListenerSwitch{kept, std::move(dispatcher), nullptr, {}, health_probe()});
        continue;
      }
      auto listener = std::make_shared<Listener>();
      listener->settings = settings;
      listener->drain_timeout = config_->drain_timeout;
      listener->grpc = std::make_unique<grpc::GrpcServer>(grpc_options(settings), std::move(dispatcher),
                                                          services_.registry);
      listener->grpc->set_catalog(catalog_);
      listener->grpc->set_health(health_probe());
      listener->grpc->start();
      listener->bound = config::Endpoint{settings.listen.host, listener->grpc->port()}.text();
      spdlog::info("listener '{}' (grpc) listening on {}", settings.name, listener->bound);
      listeners_[settings.name] = std::move(listener);
      continue;
    }
    // Read on every (re)load: certificate files may have been replaced while the settings stayed.
    std::shared_ptr<http::TlsContext> tls;
    if (settings.tls) tls = listener_tls(*config_, settings).context;
    auto kept = reusable(previous ? &previous->listeners_ : nullptr, settings.name,
                         [&](const Listener& old) { return same_listener(old.settings, settings); });
    if (previous) note("listener", settings.name, kept != nullptr);
    if (kept) {
      listeners_[settings.name] = kept;
      pending_handlers_.push_back(ListenerSwitch{kept, std::move(dispatcher), std::move(tls), settings.limits, {}});
      continue;
    }
    auto listener = std::make_shared<Listener>();
    listener->settings = settings;
    listener->server = std::make_unique<http::HttpServer>(settings.name, settings.listen, settings.limits,
                                                          std::move(dispatcher), services_.workers,
                                                          services_.registry, std::move(tls));
    listener->server->start();
    listener->bound = listener->server->local_endpoint().text();
    spdlog::info("listener '{}' ({}) listening on {}", settings.name,
                 settings.tls ? "https" : config::to_string(settings.protocol), listener->bound);
    listeners_[settings.name] = std::move(listener);
  }
}

std::vector<std::shared_ptr<RetiredPiece>> Runtime::take_over(Runtime* previous) {
  for (auto& pending : pending_handlers_) {
    if (auto& grpc = pending.listener->grpc) {
      grpc->set_catalog(catalog_);
      grpc->set_health(std::move(pending.health));
      grpc->set_handler(std::move(pending.dispatcher));
      continue;
    }
    pending.listener->server->set_limits(pending.limits);
    pending.listener->server->set_handler(std::move(pending.dispatcher));
    if (pending.tls) pending.listener->server->set_tls(std::move(pending.tls));
  }
  pending_handlers_.clear();
  for (const auto& name : new_deliveries_) deliveries_.at(name)->consumer->start();
  new_deliveries_.clear();

  std::vector<std::shared_ptr<RetiredPiece>> retired;
  if (!previous) return retired;
  auto collect = [&](auto& old, auto& now, auto&& on_retire) {
    for (auto& [name, piece] : old) {
      auto found = now.find(name);
      if (found != now.end() && found->second == piece) continue;
      on_retire(*piece);
      retired.push_back(piece);
    }
    old.clear();
  };
  auto nothing = [](auto&) {};
  collect(previous->listeners_, listeners_, [](Listener& listener) { listener.drain(); });
  collect(previous->deliveries_, deliveries_, nothing);
  collect(previous->reply_readers_, reply_readers_, nothing);
  collect(previous->upstreams_, upstreams_, nothing);
  collect(previous->brokers_, brokers_, nothing);
  return retired;
}

void Runtime::drain_listeners() {
  for (auto& [name, listener] : listeners_) listener->drain();
}

void Runtime::stop_consumers(Clock::time_point deadline) {
  for (auto& [name, delivery] : deliveries_) delivery->consumer->stop(deadline);
}

std::size_t Runtime::open_connections() const {
  std::size_t open = 0;
  for (const auto& [name, listener] : listeners_) open += listener->open_connections();
  return open;
}

void Runtime::flush_producers(Clock::time_point deadline) {
  for (auto& [name, broker] : brokers_) {
    auto left = std::max<Clock::duration>(deadline - Clock::now(), 1s);
    if (auto undelivered = broker->producer->flush(std::chrono::duration_cast<std::chrono::milliseconds>(left))) {
      spdlog::error("broker '{}': {} message(s) were still undelivered at exit", name, undelivered);
    }
  }
}

void Runtime::write_lag(std::string& out) {
  for (auto& [name, delivery] : deliveries_) {
    for (const auto& lag : delivery->consumer->lag()) {
      out += "causeway_consumer_lag{route=\"" + metrics::escape_label_value(name) + "\",partition=\"" +
             std::to_string(lag.partition) + "\"} " + std::to_string(lag.messages) + "\n";
    }
  }
}

std::optional<std::string> Runtime::broker_problem() {
  for (auto& [name, broker] : brokers_) {
    if (!broker->producer->reachable(500ms)) return "broker '" + name + "' is unreachable";
  }
  return std::nullopt;
}

grpc::GrpcFlowResources Runtime::grpc_resources() {
  grpc::GrpcFlowResources resources;
  resources.catalog = catalog_;
  resources.registry = &services_.registry;
  // Shared with the whole piece, like forwards: a call in flight keeps its upstream alive.
  resources.grpc_upstream = [this](const std::string& name) {
    auto& upstream = upstreams_.at(name);
    return std::shared_ptr<grpc::GrpcUpstream>(upstream, upstream->grpc.get());
  };
  resources.http_upstream = [this](const std::string& name) {
    auto& upstream = upstreams_.at(name);
    return std::shared_ptr<http::UpstreamClient>(upstream, upstream->client.get());
  };
  return resources;
}

// Serving while /readyz says ready; a service the protos do not define is unknown.
grpc::HealthProbe Runtime::health_probe() const {
  std::set<std::string> services;
  if (catalog_) {
    for (auto& name : catalog_->services()) services.insert(std::move(name));
  }
  return [ready = services_.ready, services = std::move(services)](std::string_view service) {
    if (!service.empty() && !services.contains(std::string(service))) return grpc::HealthStatus::unknown_service;
    return ready() ? grpc::HealthStatus::serving : grpc::HealthStatus::not_serving;
  };
}

void Runtime::describe(admin::RuntimeFacts& facts) const {
  facts.broker_addresses.clear();
  facts.listener_addresses.clear();
  for (const auto& [name, broker] : brokers_) facts.broker_addresses[name] = broker->address;
  for (const auto& [name, listener] : listeners_) facts.listener_addresses[name] = listener->bound;
}

}  // namespace causeway::server
