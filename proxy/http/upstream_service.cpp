#include "http/upstream_service.h"

namespace causeway::http {

bridge::ServiceResult service_result(UpstreamResult result) {
  bridge::ServiceResult outcome;
  if (result.error == UpstreamResult::Error::none) {
    outcome.response = std::move(result.response);
  } else {
    outcome.error = std::move(result.detail);
  }
  return outcome;
}

void UpstreamService::call(bridge::ServiceCall call, std::function<void(bridge::ServiceResult)> done) {
  UpstreamRequest request{std::move(call.method), std::move(call.target), std::move(call.headers),
                          std::move(call.body), call.timeout};
  client_.send(std::move(request),
               [done = std::move(done)](UpstreamResult result) { done(service_result(std::move(result))); });
}

}  // namespace causeway::http
