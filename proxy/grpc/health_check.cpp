#include "grpc/health_check.h"

#include "grpc/health/v1/health.pb.h"

namespace causeway::grpc {

GrpcAnswer check_health(std::string_view request, const HealthProbe& probe) {
  ::grpc::health::v1::HealthCheckRequest question;
  if (!question.ParseFromArray(request.data(), static_cast<int>(request.size()))) {
    return grpc_error(Code::invalid_argument, "not a grpc.health.v1.HealthCheckRequest");
  }
  ::grpc::health::v1::HealthCheckResponse answer;
  switch (probe(question.service())) {
    case HealthStatus::serving: answer.set_status(::grpc::health::v1::HealthCheckResponse::SERVING); break;
    case HealthStatus::not_serving: answer.set_status(::grpc::health::v1::HealthCheckResponse::NOT_SERVING); break;
    case HealthStatus::unknown_service: return grpc_error(Code::not_found, "unknown service " + question.service());
  }
  GrpcAnswer ok;
  ok.body = answer.SerializeAsString();
  return ok;
}

}  // namespace causeway::grpc
