#pragma once
// causeway_transcode_errors_total{route,direction}: messages of a route that did not fit
// their protobuf type or its JSON mapping, by the side at fault.

#include <string>
#include <string_view>

#include "bridge/failure.h"
#include "metrics/registry.h"

namespace causeway::grpc {

struct TranscodeErrors {
  metrics::Counter* request = nullptr;   // the caller's message
  metrics::Counter* response = nullptr;  // the answer (a reply, an upstream's response, a streamed message)

  TranscodeErrors(metrics::Registry& registry, const std::string& route) {
    auto& family = registry.counter("causeway_transcode_errors_total",
                                    "Messages that did not fit their protobuf type or its JSON mapping, by route and "
                                    "side (request: the caller's, response: the answer)",
                                    {"route", "direction"});
    request = &family.with({route, "request"});
    response = &family.with({route, "response"});
  }

  // The caller's message did not fit: counted, and answered 400 saying why.
  bridge::Response refused(const std::string& why, std::string_view route = {}) const {
    request->inc();
    return bridge::failure_response(bridge::Failure::bad_request, why, route);
  }
};

}  // namespace causeway::grpc
