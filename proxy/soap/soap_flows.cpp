#include "soap/soap_flows.h"

#include <boost/json.hpp>

#include "bridge/failure.h"
#include "bridge/trace_context.h"
#include "http/upstream_client.h"
#include "metrics/registry.h"
#include "soap/message_codec.h"
#include "soap/operation_call.h"
#include "soap/soap_counters.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {
namespace {

using bridge::Failure;
using bridge::failure_response;
using bridge::Response;

Response json_response(const boost::json::value& value) {
  Response response;
  response.headers.push_back({"content-type", "application/json"});
  response.body = boost::json::serialize(value);
  return response;
}

// HTTP listener -> SOAP upstream.
class RestToSoap : public bridge::Flow {
 public:
  RestToSoap(const config::Route& route, const SoapFlowResources& resources, const SoapOperation& operation)
      : route_(route),
        target_(std::get<config::UpstreamTarget>(route.to)),
        catalog_(resources.catalog),
        operation_(operation),
        upstream_(resources.http_upstream(target_.upstream)),
        counters_(*resources.registry, route.name, "upstream") {}

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    boost::system::error_code ec;
    const boost::json::value json = request.body.empty() ? boost::json::object() : boost::json::parse(request.body, ec);
    if (ec) return respond(refused("the body is not JSON: " + ec.message()));
    std::string envelope, error;
    if (!json_to_envelope(json, *operation_.input, operation_.version, envelope, error)) return respond(refused(error));

    auto trace = bridge::continue_trace(bridge::find_header(request.headers, "traceparent"),
                                        bridge::find_header(request.headers, "tracestate"));
    bridge::Headers headers{{"traceparent", std::move(trace.traceparent)}};
    if (trace.tracestate) headers.push_back({"tracestate", std::move(*trace.tracestate)});
    auto out = operation_request(operation_, std::move(envelope),
                                 target_.path ? target_.path->render(captures) : address_path(operation_.address),
                                 std::move(headers));
    out.timeout = target_.timeout;
    // The catalog rides along: the operation points into it, and a reload may drop this flow.
    upstream_->send(std::move(out), [respond, catalog = catalog_, operation = &operation_, counters = counters_,
                                     route = route_.name, upstream = target_.upstream](http::UpstreamResult result) {
      respond(answer(std::move(result), *operation, counters, route, upstream));
    });
  }

 private:
  Response refused(const std::string& why) const {
    counters_.request_errors->inc();
    return failure_response(Failure::bad_request, why, route_.name);
  }

  static Response answer(http::UpstreamResult result, const SoapOperation& operation, const SoapCounters& counters,
                         const std::string& route, const std::string& upstream) {
    if (!result.response) {
      const auto failure = result.error == http::UpstreamResult::Error::timeout ? Failure::timeout : Failure::bad_gateway;
      return failure_response(failure, "upstream '" + upstream + "': " + result.detail, route);
    }
    auto read = read_answer(*result.response, operation);
    if (read.kind == OperationAnswer::Kind::output) return json_response(read.output);
    if (read.kind == OperationAnswer::Kind::fault) {
      counters.faults->inc();
      const auto failure = read.fault->side == FaultSide::client ? Failure::bad_request : Failure::bad_gateway;
      return failure_response(failure, read.fault->reason, route);
    }
    counters.response_errors->inc();
    const char* what = read.kind == OperationAnswer::Kind::unfit ? "' answered what does not fit: "
                                                                 : "' answered no SOAP response: ";
    return failure_response(Failure::bad_gateway, "upstream '" + upstream + what + read.error, route);
  }

  const config::Route& route_;
  const config::UpstreamTarget& target_;
  std::shared_ptr<const WsdlCatalog> catalog_;
  const SoapOperation& operation_;
  std::shared_ptr<http::UpstreamClient> upstream_;
  SoapCounters counters_;
};

// SOAP listener -> REST upstream, after the endpoint made JSON of the envelope: the
// upstream's status and body go back as they came, for the endpoint to make XML of.
class JsonCall : public bridge::Flow {
 public:
  JsonCall(const config::Route& route, const SoapFlowResources& resources)
      : route_(route),
        target_(std::get<config::UpstreamTarget>(route.to)),
        upstream_(resources.http_upstream(target_.upstream)) {}

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    http::UpstreamRequest out;
    out.method = target_.method.value_or("POST");
    out.target = target_.path ? target_.path->render(captures) : request.path;
    out.headers.push_back({"content-type", "application/json"});
    out.headers.push_back({"accept", "application/json"});
    auto trace = bridge::continue_trace(bridge::find_header(request.headers, "traceparent"),
                                        bridge::find_header(request.headers, "tracestate"));
    out.headers.push_back({"traceparent", std::move(trace.traceparent)});
    if (trace.tracestate) out.headers.push_back({"tracestate", std::move(*trace.tracestate)});
    out.body = std::move(request.body);
    out.timeout = target_.timeout;
    upstream_->send(std::move(out), [respond, route = route_.name, upstream = target_.upstream](http::UpstreamResult result) {
      if (result.response) return respond(std::move(*result.response));
      using Error = http::UpstreamResult::Error;
      const auto failure = result.error == Error::timeout       ? Failure::timeout
                           : result.error == Error::unavailable ? Failure::upstream_unavailable
                                                                : Failure::bad_gateway;
      respond(failure_response(failure, "upstream '" + upstream + "': " + result.detail, route));
    });
  }

 private:
  const config::Route& route_;
  const config::UpstreamTarget& target_;
  std::shared_ptr<http::UpstreamClient> upstream_;
};

}  // namespace

std::string address_path(const std::string& location) {
  const auto scheme = location.find("://");
  const auto slash = location.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : location.substr(slash);
}

std::unique_ptr<bridge::Flow> make_soap_flow(const config::Route& route, const SoapFlowResources& resources) {
  const auto& target = std::get<config::UpstreamTarget>(route.to);
  if (!target.soap) return std::make_unique<JsonCall>(route, resources);  // from a SOAP listener
  const auto& name = *target.soap;
  // config_check.cpp made sure the operation is there.
  return std::make_unique<RestToSoap>(route, resources, *resources.catalog->find(name.service, name.operation));
}

}  // namespace causeway::soap
