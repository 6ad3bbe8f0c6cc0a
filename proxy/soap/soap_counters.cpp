#include "soap/soap_counters.h"

#include "metrics/registry.h"

namespace causeway::soap {

SoapCounters::SoapCounters(metrics::Registry& registry, const std::string& route, std::string_view fault_direction) {
  auto& fault_family = registry.counter("causeway_soap_faults_total",
                                        "SOAP faults by route and direction (upstream: answered by a SOAP service, "
                                        "listener: answered by Causeway to a SOAP caller)",
                                        {"route", "direction"});
  faults = &fault_family.with({route, fault_direction});
  auto& errors = registry.counter("causeway_soap_errors_total",
                                  "Messages that did not fit their SOAP operation's schema, by route and side "
                                  "(request: the caller's, response: the answer)",
                                  {"route", "direction"});
  request_errors = &errors.with({route, "request"});
  response_errors = &errors.with({route, "response"});
}

}  // namespace causeway::soap
