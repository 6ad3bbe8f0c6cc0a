#pragma once
// Everything that runs for one config: brokers with their producers, reply readers,
// upstream clients, delivery flows with their consumers, and every listener with its
// dispatcher. A reload builds a new Runtime from the new file and takes over from the
// old one each piece whose settings did not change, so those keep their connections,
// group memberships and positions.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin_handler.h"
#include "config/config.h"
#include "grpc/grpc_flows.h"
#include "grpc/health_check.h"
#include "server/config_check.h"
#include "server/retired_piece.h"
#include "soap/soap_flows.h"

namespace causeway::metrics {
class Registry;
}
namespace causeway::bridge {
class CallbackSender;
struct FlowMetrics;
class ReplyWaiters;
class Dispatcher;
}  // namespace causeway::bridge
namespace causeway::http {
class IoThreads;
class LoopTimers;
}  // namespace causeway::http


namespace causeway::server {

// What outlives every config: the loops, the metrics, the requests waiting for replies.
struct Services {
  metrics::Registry& registry;
  bridge::FlowMetrics& flow_metrics;
  bridge::ReplyWaiters& waiters;
  bridge::CallbackSender& callbacks;
  http::IoThreads& workers;
  http::LoopTimers& timers;
  std::function<bool()> ready;  // what /readyz says; gRPC health checks answer the same
};

class Runtime {
 public:
  // Builds the pieces for config, taking over unchanged ones from previous (which is
  // left as it was if this throws). Listeners that are new here are bound.
  Runtime(CheckedConfig config, Services services, Runtime* previous);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Puts this runtime in charge: listeners taken over get the new routes, new
  // consumers start, listeners this one dropped drain. Returns what the previous
  // runtime had that this one does not, for the caller to retire.
  std::vector<std::shared_ptr<RetiredPiece>> take_over(Runtime* previous);

  // Draining for shutdown: listeners stop accepting, consumers finish and leave.
  void drain_listeners();
  void stop_consumers(std::chrono::steady_clock::time_point deadline);
  std::size_t open_connections() const;
  // The most connections open at once since the last call, summed over the listeners.
  std::size_t take_most_connections();
  // Flushes every producer; logs what could not be delivered.
  void flush_producers(std::chrono::steady_clock::time_point deadline);

  // causeway_consumer_lag samples of every delivery route.
  void write_lag(std::string& out);

  // Why a broker cannot be used now, or nullopt when all answer.
  std::optional<std::string> broker_problem();
  // upstream -> its breaker's state now, for the dashboard.
  std::map<std::string, std::string> upstream_states();
  // broker -> the state of the breaker its publisher is behind, for the dashboard.
  std::map<std::string, std::string> broker_breakers();
  // The first delivery route that does not read yet, as a readiness problem.
  std::optional<std::string> source_problem();
  // Each broker's problem (nullopt when it answers), asking every one.
  std::map<std::string, std::optional<std::string>> broker_problems();

  const std::shared_ptr<const config::Config>& config() const { return config_; }
  void describe(admin::RuntimeFacts& facts) const;
  // What a reload kept and changed, for the log.
  const std::string& summary() const { return summary_; }

 private:
  struct Broker;
  struct Upstream;
  struct Delivery;
  struct Listener;

  void build_brokers(Runtime* previous);
  void build_upstreams(Runtime* previous);
  void build_deliveries(Runtime* previous);
  void build_listeners(Runtime* previous);
  void note(const std::string& kind, const std::string& name, bool kept);

  grpc::GrpcFlowResources grpc_resources();
  soap::SoapFlowResources soap_resources();
  grpc::HealthProbe health_probe() const;

  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const grpc::ProtoCatalog> catalog_;  // null without protos
  std::shared_ptr<const soap::WsdlCatalog> wsdl_;      // null without soap
  Services services_;
  std::string summary_;
  std::map<std::string, std::shared_ptr<Broker>> brokers_;
  std::map<std::string, std::shared_ptr<Upstream>> upstreams_;
  std::map<std::string, std::shared_ptr<Delivery>> deliveries_;
  std::map<std::string, std::shared_ptr<Listener>> listeners_;
  std::vector<std::string> new_deliveries_;  // to start in take_over
  // Listeners taken over, and what they switch to in take_over.
  struct ListenerSwitch;
  std::vector<ListenerSwitch> pending_handlers_;
};

}  // namespace causeway::server
