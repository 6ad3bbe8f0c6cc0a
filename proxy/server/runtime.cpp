#include "server/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

#include "bridge/admission.h"
#include "bridge/broker_client.h"
#include "bridge/delivery_flow.h"
#include "bridge/dispatcher.h"
#include "bridge/flow_metrics.h"
#include "bridge/guarded_producer.h"
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
#include "metrics/registry.h"
#include "server/config_check.h"
#include "server/retired_piece.h"
#include "soap/soap_delivery.h"
#include "soap/soap_flows.h"
#include "soap/soap_listener.h"
#include "soap/wsdl_catalog.h"

namespace causeway::server {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The same socket: kept, with its limits, handler and certificates switched. TLS on or
// off makes another listener.
// A gRPC listener's limits are fixed when it starts: changed ones make a new listener.
bool same_listener(const config::Listener& a, const config::Listener& b) {
  const bool same_grpc = a.protocol != config::Protocol::grpc || a.grpc_limits == b.grpc_limits;
  return a.protocol == b.protocol && a.listen == b.listen && a.tls.has_value() == b.tls.has_value() && same_grpc;
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
  std::shared_ptr<bridge::BrokerClient> client;
  std::shared_ptr<bridge::GuardedProducer> publisher;  // the client's, behind a breaker on its health
  // What requests of each `reply:` carry so that their replies come here.
  std::map<std::string, bridge::ReplyChannel> reply_channels;
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
  std::shared_ptr<Upstream> upstream;  // to a service
  std::shared_ptr<Broker> onward;      // a bridge: to another topic or exchange
  std::unique_ptr<bridge::ServiceCaller> transcoding;  // gRPC with encoding: json, or SOAP, around the upstream
  std::shared_ptr<const soap::WsdlCatalog> wsdl;       // what a SOAP caller's operation came from
  std::unique_ptr<bridge::DeliveryTarget> target;
  std::shared_ptr<bridge::DeliveryFlow> flow;
  std::unique_ptr<bridge::MessageSource> source;  // stops before the flow goes
  Clock::duration drain_timeout{};
  ~Delivery() override {
    if (source) source->stop(Clock::now() + drain_timeout);
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
  std::size_t take_most_open() { return server ? server->take_most_open() : open_connections(); }
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
    : config_(std::move(config.config)), catalog_(std::move(config.catalog)), wsdl_(std::move(config.wsdl)),
      services_(services) {
  build_brokers(previous);
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
                         [&](const Broker& old) { return *old.settings == settings; });
    if (previous) note("broker", settings.name, kept != nullptr);
    std::shared_ptr<Broker> broker = kept;
    if (!broker) {
      const auto* factory = bridge::find_broker_factory(settings.type);
      if (!factory) throw std::runtime_error("broker '" + settings.name + "': no adapter for type " + settings.type);
      broker = std::make_shared<Broker>();
      broker->config = config_;
      broker->settings = &settings;
      broker->client = (*factory)(settings, bridge::BrokerContext{services_.registry});
      broker->publisher =
          std::make_shared<bridge::GuardedProducer>(broker->client->publisher(), settings.name, services_.registry);
    }
    brokers_[settings.name] = broker;
  }
  // Replies are read from before this runtime serves anything, so none to its first requests is missed.
  for (const auto& route : config_->routes) {
    const auto* target = std::get_if<config::TopicTarget>(&route.to);
    if (!target || !target->reply) continue;
    auto& broker = *brokers_.at(target->broker);
    if (broker.reply_channels.contains(*target->reply)) continue;
    auto on_reply = [waiters = &services_.waiters, metrics = &services_.flow_metrics,
                     wire = broker.settings->headers](bridge::InboundMessage message) {
      auto reply = bridge::read_reply(std::move(message), wire);
      bool matched =
          reply && waiters->deliver(reply->correlation_id, std::move(reply->response), std::chrono::steady_clock::now());
      (matched ? metrics->replies_matched : metrics->replies_orphaned).inc();
      return matched;
    };
    broker.reply_channels[*target->reply] = broker.client->open_replies(*target->reply, std::move(on_reply));
  }
}

void Runtime::build_upstreams(Runtime* previous) {
  for (const auto& settings : config_->upstreams) {
    // Read again on every reload: a file replaced in place (a renewed certificate, a
    // new CA bundle) makes a new client even though the settings are the same.
    http::LoadedTls tls;
    if (settings.tls) tls = upstream_tls(*config_, settings);
    auto kept = reusable(previous ? &previous->upstreams_ : nullptr, settings.name, [&](const Upstream& old) {
      return old.settings == settings && old.tls_files == tls.contents;
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
      upstream->breaker = std::make_shared<bridge::CircuitBreaker>(
          settings.circuit_breaker->failures, settings.circuit_breaker->open_for, "upstream '" + settings.name + "'");
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
                                                                services_.registry, std::move(tls.context),
                                                                upstream->breaker);
      upstream->http_service = std::make_unique<http::UpstreamService>(*upstream->client);
    }
    upstreams_[settings.name] = std::move(upstream);
  }
}

void Runtime::build_deliveries(Runtime* previous) {
  for (const auto& route : config_->routes) {
    const auto* source = route.topic_source();
    if (!source) continue;
    const auto* to_service = std::get_if<config::UpstreamTarget>(&route.to);
    const auto* to_broker = std::get_if<config::TopicTarget>(&route.to);
    auto& broker = brokers_.at(source->broker);
    std::shared_ptr<Upstream> upstream = to_service ? upstreams_.at(to_service->upstream) : nullptr;
    std::shared_ptr<Broker> onward = to_broker ? brokers_.at(to_broker->broker) : nullptr;
    // A SOAP delivery's operation comes from its WSDL: an edited file makes a new caller.
    auto same_operation = [&](const Delivery& old) {
      if (!to_service || !to_service->soap) return true;
      const auto* before = old.wsdl ? old.wsdl->wsdl_text(to_service->soap->service) : nullptr;
      const auto* now = wsdl_->wsdl_text(to_service->soap->service);
      return before && now && *before == *now;
    };
    auto kept = reusable(previous ? &previous->deliveries_ : nullptr, route.name, [&](const Delivery& old) {
      return old.broker == broker && old.upstream == upstream && old.onward == onward && old.flow->route() == route &&
             same_operation(old);
    });
    if (previous) note(to_broker ? "bridge" : "delivery", route.name, kept != nullptr);
    if (kept) {
      deliveries_[route.name] = kept;
      continue;
    }
    auto delivery = std::make_shared<Delivery>();
    delivery->config = config_;
    delivery->broker = broker;
    delivery->upstream = upstream;
    delivery->onward = onward;
    delivery->drain_timeout = config_->drain_timeout;
    if (to_broker) {
      delivery->target = std::make_unique<bridge::PublishTarget>(onward->publisher, *to_broker);
    } else {
      if (to_service->soap) {
        delivery->wsdl = wsdl_;
        delivery->transcoding = soap::make_delivery_caller(route, soap_resources());
      } else if (upstream->grpc) {
        delivery->transcoding = grpc::make_delivery_caller(route, grpc_resources());
      }
      auto& caller = delivery->transcoding ? *delivery->transcoding : upstream->service();
      delivery->target = std::make_unique<bridge::ServiceTarget>(caller, *to_service);
    }
    delivery->flow = std::make_shared<bridge::DeliveryFlow>(route, broker->settings->headers, *delivery->target,
                                                            broker->publisher, services_.timers,
                                                            services_.registry);
    delivery->source = broker->client->source(route);
    delivery->flow->set_control(delivery->source->control());
    deliveries_[route.name] = std::move(delivery);
    new_deliveries_.push_back(route.name);
  }
}

void Runtime::build_listeners(Runtime* previous) {
  bridge::FlowResources resources;
  resources.producer = [this](const std::string& name) {
    auto& broker = brokers_.at(name);
    // Shares ownership of the whole broker piece: a request in flight keeps it alive.
    return std::shared_ptr<bridge::MessageProducer>(broker, broker->publisher.get());
  };
  resources.reply_channel = [this](const std::string& name, const std::string& reply) {
    return brokers_.at(name)->reply_channels.at(reply);
  };
  resources.broker = [this](const std::string& name) {
    auto& broker = brokers_.at(name);
    // Shares ownership of the whole broker piece: a stream client keeps it alive.
    return std::shared_ptr<bridge::BrokerClient>(broker, broker->client.get());
  };
  resources.waiters = &services_.waiters;
  resources.callbacks = &services_.callbacks;
  resources.metrics = &services_.flow_metrics;
  resources.forward_upstream = [this](const std::string& name) {
    auto& upstream = upstreams_.at(name);
    // The client is shared with the whole piece: a forward in flight keeps it alive.
    return bridge::ForwardUpstream{std::shared_ptr<void>(upstream, upstream->client.get()), upstream->breaker,
                                   upstream->settings.timeout};
  };
  grpc::GrpcFlowResources grpc_flows = grpc_resources();
  grpc_flows.broker = resources.broker;
  grpc_flows.flow_metrics = resources.metrics;
  resources.grpc_flow = [grpc = std::move(grpc_flows)](const config::Route& route, std::unique_ptr<bridge::Flow> plain) {
    return grpc::make_grpc_flow(route, grpc, std::move(plain));
  };
  const soap::SoapFlowResources soap = soap_resources();
  resources.soap_flow = [soap](const config::Route& route) { return soap::make_soap_flow(route, soap); };
  resources.soap_path = [soap](const config::Route& route) { return soap::listener_path(route, *soap.catalog); };
  resources.soap_endpoint = [soap](std::vector<bridge::SoapOperationRoute> operations, std::string scheme) {
    return soap::make_soap_endpoint(std::move(operations), soap, std::move(scheme));
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
  // A delivery this reload replaced stops before its successor starts: what it holds is
  // finished and acknowledged first, and a group or queue never has both reading at once
  // (a Kafka group would rebalance between them, failing the old one's last commits).
  if (previous) {
    for (const auto& name : new_deliveries_) {
      auto replaced = previous->deliveries_.find(name);
      if (replaced != previous->deliveries_.end()) replaced->second->source->stop(Clock::now() + replaced->second->drain_timeout);
    }
  }
  for (const auto& name : new_deliveries_) {
    auto& delivery = *deliveries_.at(name);
    delivery.source->start(*delivery.flow);
  }
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
  collect(previous->upstreams_, upstreams_, nothing);
  collect(previous->brokers_, brokers_, nothing);
  return retired;
}

void Runtime::drain_listeners() {
  for (auto& [name, listener] : listeners_) listener->drain();
}

void Runtime::stop_consumers(Clock::time_point deadline) {
  for (auto& [name, delivery] : deliveries_) delivery->source->stop(deadline);
}

std::size_t Runtime::open_connections() const {
  std::size_t open = 0;
  for (const auto& [name, listener] : listeners_) open += listener->open_connections();
  return open;
}

std::size_t Runtime::take_most_connections() {
  std::size_t most = 0;
  for (auto& [name, listener] : listeners_) most += listener->take_most_open();
  return most;
}

void Runtime::flush_producers(Clock::time_point deadline) {
  for (auto& [name, broker] : brokers_) {
    if (auto undelivered = broker->client->flush(deadline)) {
      spdlog::error("broker '{}': {} message(s) were still undelivered at exit", name, undelivered);
    }
  }
}

void Runtime::write_lag(std::string& out) {
  for (auto& [name, delivery] : deliveries_) {
    for (const auto& lag : delivery->source->lag()) {
      out += "causeway_consumer_lag{route=\"" + metrics::escape_label_value(name) + "\",partition=\"" +
             metrics::escape_label_value(lag.lane) + "\"} " + std::to_string(lag.messages) + "\n";
    }
  }
}

std::optional<std::string> Runtime::broker_problem() {
  for (auto& [name, broker] : brokers_) {
    if (auto problem = broker->client->problem()) return problem;
  }
  return std::nullopt;
}

std::map<std::string, std::string> Runtime::upstream_states() {
  std::map<std::string, std::string> states;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [name, upstream] : upstreams_) {
    if (!upstream->breaker) {
      states[name] = "no breaker";
      continue;
    }
    states[name] = bridge::to_string(upstream->breaker->state(now));
  }
  return states;
}

std::map<std::string, std::string> Runtime::broker_breakers() {
  std::map<std::string, std::string> states;
  for (const auto& [name, broker] : brokers_) states[name] = bridge::to_string(broker->publisher->breaker_state());
  return states;
}

std::optional<std::string> Runtime::source_problem() {
  for (auto& [name, delivery] : deliveries_) {
    if (!delivery->source->reading()) return "route '" + name + "': not reading yet (no partition assignment or consumer)";
  }
  return std::nullopt;
}

std::map<std::string, std::optional<std::string>> Runtime::broker_problems() {
  std::map<std::string, std::optional<std::string>> problems;
  for (auto& [name, broker] : brokers_) problems[name] = broker->client->problem();
  return problems;
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

soap::SoapFlowResources Runtime::soap_resources() {
  return soap::SoapFlowResources{wsdl_, grpc_resources().http_upstream, &services_.registry};
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
  for (const auto& [name, broker] : brokers_) facts.broker_addresses[name] = broker->client->address();
  for (const auto& [name, listener] : listeners_) facts.listener_addresses[name] = listener->bound;
  facts.soap_paths.clear();
  for (const auto& route : config_->routes) {
    if (const auto* from = route.http_source(); from && from->soap && wsdl_) {
      facts.soap_paths[route.name] = soap::listener_path(route, *wsdl_);
    }
  }
}

}  // namespace causeway::server
