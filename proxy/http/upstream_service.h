#pragma once
// An upstream as the delivery flow sees it: bridge::ServiceCaller over UpstreamClient.

#include "bridge/service_caller.h"
#include "http/upstream_client.h"

namespace causeway::http {

// A client's result as the flows read it: the response, or why there is none.
bridge::ServiceResult service_result(UpstreamResult result);

class UpstreamService : public bridge::ServiceCaller {
 public:
  explicit UpstreamService(UpstreamClient& client) : client_(client) {}
  void call(bridge::ServiceCall call, std::function<void(bridge::ServiceResult)> done) override;

 private:
  UpstreamClient& client_;
};

}  // namespace causeway::http
