#pragma once
// The admin endpoints: the dashboard at /, /dashboard.json, /metrics, /healthz, /readyz,
// /config, /routes, POST /reload
// (state changes only from a loopback Host and the listener's own Origin).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bridge/exchange.h"
#include "config/config.h"

namespace causeway::metrics {
class Counter;
class Registry;
}

namespace causeway::admin {

// What the last reload (POST /reload, SIGHUP, the file changing) came to.
struct ReloadOutcome {
  std::string result = "none";  // "success", "failure", or "none" before any reload
  std::string message;
  std::string at;  // UTC, ISO 8601
};

// Facts known only once running, shown next to the config.
struct RuntimeFacts {
  std::string version;
  std::map<std::string, std::string> broker_addresses;   // broker -> bootstrap actually used
  std::map<std::string, std::string> listener_addresses;  // listener -> bound host:port
  // SOAP listener route -> the path its endpoint answers on (its own or its WSDL port's).
  std::map<std::string, std::string> soap_paths;
  std::string admin_address;
  // Filled when asked, from the last readiness check: broker -> "ready" or its problem.
  std::map<std::string, std::string> broker_states;
  // Filled when asked: upstream -> its circuit breaker's state ("closed", "open",
  // "half-open"), or "no breaker".
  std::map<std::string, std::string> upstream_states;
  // Filled when asked: broker -> the state of the breaker its messages pass through
  // ("closed", "open", "half-open").
  std::map<std::string, std::string> broker_breakers;
  ReloadOutcome last_reload;  // result "none" until the first reload
};

struct ReloadResult {
  bool ok = false;
  std::string message;
};

class AdminHandler : public bridge::RequestHandler {
 public:
  // Why the proxy cannot take traffic now, or nullopt when it can.
  using ReadinessCheck = std::function<std::optional<std::string>()>;

  AdminHandler(metrics::Registry& registry, ReadinessCheck readiness,
               std::function<std::shared_ptr<const config::Config>()> current_config,
               std::function<RuntimeFacts()> facts, std::function<ReloadResult()> reload);

  void handle(bridge::Request request, bridge::Responder respond) override;

 private:
  // The 403 for a state change that did not come from this host's own admin origin; every
  // state-changing endpoint asks it first.
  std::optional<bridge::Response> refusal_of_state_change(const bridge::Request& request);

  metrics::Registry& registry_;
  ReadinessCheck readiness_;
  std::function<std::shared_ptr<const config::Config>()> current_config_;
  std::function<RuntimeFacts()> facts_;
  std::function<ReloadResult()> reload_;
  metrics::Counter& refused_;
};

}  // namespace causeway::admin
