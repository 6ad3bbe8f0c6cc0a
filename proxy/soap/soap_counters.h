#pragma once
// What went wrong with SOAP on a route, by where it came from; shared by the upstream
// flow and the listener endpoint so both count under one family each.

#include <string>
#include <string_view>

namespace causeway::metrics {
class Counter;
class Registry;
}  // namespace causeway::metrics

namespace causeway::soap {

struct SoapCounters {
  // causeway_soap_faults_total{route,direction}: "upstream" for faults a SOAP service
  // answered, "listener" for faults Causeway answered a SOAP caller.
  metrics::Counter* faults = nullptr;
  metrics::Counter* request_errors = nullptr;   // the caller's message did not fit the schema
  metrics::Counter* response_errors = nullptr;  // the answer was no envelope, or did not fit

  SoapCounters(metrics::Registry& registry, const std::string& route, std::string_view fault_direction);
};

}  // namespace causeway::soap
