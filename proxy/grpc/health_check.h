#pragma once
// grpc.health.v1.Health/Check, answered from a probe the runtime supplies (serving while
// ready, not serving while draining), so load balancers and Kubernetes' gRPC probes ask
// the same question as /readyz.

#include <functional>
#include <string_view>

#include "grpc/grpc_answer.h"

namespace causeway::grpc {

inline constexpr std::string_view kHealthCheckPath = "/grpc.health.v1.Health/Check";
inline constexpr std::string_view kHealthWatchPath = "/grpc.health.v1.Health/Watch";

enum class HealthStatus { serving, not_serving, unknown_service };

// `service` is "" for the server as a whole, else a fully-qualified service name.
using HealthProbe = std::function<HealthStatus(std::string_view service)>;

// A serialized HealthCheckRequest -> OK with a HealthCheckResponse, NOT_FOUND for an
// unknown service (as the protocol says), INVALID_ARGUMENT when it does not parse.
GrpcAnswer check_health(std::string_view request, const HealthProbe& probe);

}  // namespace causeway::grpc
