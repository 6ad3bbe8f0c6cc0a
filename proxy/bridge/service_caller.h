#pragma once
// What the delivery flow needs from a local service: one call, one result. The HTTP
// upstream client implements it (gRPC later), so the flow knows no wire library.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "bridge/exchange.h"

namespace causeway::bridge {

struct ServiceCall {
  std::string method;
  std::string target;  // path and query
  Headers headers;
  std::string body;
  std::optional<std::chrono::milliseconds> timeout;  // the route's to.timeout, instead of the upstream's
};

struct ServiceResult {
  std::optional<Response> response;  // the service answered
  std::string error;                 // otherwise why not: refused, timed out, reset, garbage;
                                     // with a response, what it meant (a SOAP fault's reason)
};

class ServiceCaller {
 public:
  virtual ~ServiceCaller() = default;
  // `done` runs once, on any thread.
  virtual void call(ServiceCall call, std::function<void(ServiceResult)> done) = 0;
};

// Runs a task later, on some thread; used for retry backoff.
class Timers {
 public:
  virtual ~Timers() = default;
  virtual void after(std::chrono::milliseconds delay, std::function<void()> task) = 0;
};

}  // namespace causeway::bridge
