#include "soap/soap_delivery.h"

#include <boost/json.hpp>

#include "bridge/failure.h"
#include "http/upstream_client.h"
#include "http/upstream_service.h"
#include "metrics/registry.h"
#include "soap/message_codec.h"
#include "soap/operation_call.h"
#include "soap/soap_counters.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {
namespace {

using bridge::Failure;
using bridge::ServiceResult;

bool is_envelope_header(const std::string& name) {
  return name == "content-type" || name == "content-length" || name == "soapaction";
}

class SoapDelivery : public bridge::ServiceCaller {
 public:
  SoapDelivery(const config::Route& route, const SoapFlowResources& resources, const SoapOperation& operation)
      : route_(route.name),
        target_(std::get<config::UpstreamTarget>(route.to)),
        catalog_(resources.catalog),
        operation_(operation),
        upstream_(resources.http_upstream(target_.upstream)),
        counters_(*resources.registry, route.name, "upstream") {}

  void call(bridge::ServiceCall call, std::function<void(ServiceResult)> done) override {
    boost::system::error_code ec;
    const auto json = boost::json::parse(call.body, ec);
    std::string envelope, error;
    if (ec) {
      error = "the message is not JSON: " + ec.message();
    } else {
      json_to_envelope(json, *operation_.input, operation_.version, envelope, error);
    }
    if (!error.empty()) {
      // Sending it again cannot help: a 400 is dead-lettered at once.
      counters_.request_errors->inc();
      return done(ServiceResult{bridge::failure_response(Failure::bad_request, error, route_), error});
    }
    bridge::Headers headers;
    for (auto& header : call.headers) {
      if (!is_envelope_header(header.name)) headers.push_back(std::move(header));
    }
    std::string path = call.target.empty() ? address_path(operation_.address) : std::move(call.target);
    auto out = operation_request(operation_, std::move(envelope), std::move(path), std::move(headers));
    out.timeout = target_.timeout;
    // The catalog rides along: the operation points into it, and a reload may drop this caller.
    upstream_->send(std::move(out), [done = std::move(done), catalog = catalog_, operation = &operation_,
                                     counters = counters_, route = route_](http::UpstreamResult result) {
      done(judged(std::move(result), *operation, counters, route));
    });
  }

 private:
  static ServiceResult judged(http::UpstreamResult result, const SoapOperation& operation,
                              const SoapCounters& counters, const std::string& route) {
    if (!result.response) return http::service_result(std::move(result));
    auto read = read_answer(*result.response, operation);
    switch (read.kind) {
      case OperationAnswer::Kind::output: {
        auto& response = *result.response;
        response.headers = {{"content-type", "application/json"}};
        response.body = boost::json::serialize(read.output);
        return ServiceResult{std::move(response), {}};
      }
      case OperationAnswer::Kind::fault: {
        counters.faults->inc();
        const auto failure = read.fault->side == FaultSide::client ? Failure::bad_request : Failure::bad_gateway;
        return ServiceResult{bridge::failure_response(failure, read.fault->reason, route),
                             "SOAP fault " + read.fault->code + ": " + read.fault->reason};
      }
      case OperationAnswer::Kind::not_soap:
      case OperationAnswer::Kind::unfit:
        // Judged by its status like any service's answer: a 2xx was taken, so it is not sent again.
        counters.response_errors->inc();
        const char* what = read.kind == OperationAnswer::Kind::unfit ? "the answer does not fit: " : "no SOAP response: ";
        return ServiceResult{std::move(result.response), what + read.error};
    }
    return ServiceResult{std::move(result.response), {}};
  }

  std::string route_;
  const config::UpstreamTarget& target_;
  std::shared_ptr<const WsdlCatalog> catalog_;
  const SoapOperation& operation_;
  std::shared_ptr<http::UpstreamClient> upstream_;
  SoapCounters counters_;
};

}  // namespace

std::unique_ptr<bridge::ServiceCaller> make_delivery_caller(const config::Route& route,
                                                            const SoapFlowResources& resources) {
  const auto& name = *std::get<config::UpstreamTarget>(route.to).soap;
  // config_check.cpp made sure the operation is there.
  return std::make_unique<SoapDelivery>(route, resources, *resources.catalog->find(name.service, name.operation));
}

}  // namespace causeway::soap
