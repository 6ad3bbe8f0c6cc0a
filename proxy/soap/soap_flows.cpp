#include "soap/soap_flows.h"

#include <boost/json.hpp>

#include "bridge/failure.h"
#include "bridge/trace_context.h"
#include "http/upstream_client.h"
#include "metrics/registry.h"
#include "soap/message_codec.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {
namespace {

using bridge::Failure;
using bridge::failure_response;
using bridge::Response;

// What went wrong with SOAP on a route, by where it came from.
struct SoapCounters {
  metrics::Counter* upstream_faults = nullptr;  // faults a SOAP upstream answered
  metrics::Counter* request_errors = nullptr;   // the caller's message did not fit the schema
  metrics::Counter* response_errors = nullptr;  // the answer was no envelope, or did not fit

  SoapCounters(metrics::Registry& registry, const std::string& route) {
    auto& faults = registry.counter("causeway_soap_faults_total",
                                    "SOAP faults by route and direction (upstream: answered by a SOAP service)",
                                    {"route", "direction"});
    upstream_faults = &faults.with({route, "upstream"});
    auto& errors = registry.counter("causeway_soap_errors_total",
                                    "Messages that did not fit their SOAP operation's schema, by route and side "
                                    "(request: the caller's, response: the answer)",
                                    {"route", "direction"});
    request_errors = &errors.with({route, "request"});
    response_errors = &errors.with({route, "response"});
  }
};

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
        counters_(*resources.registry, route.name) {}

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    boost::system::error_code ec;
    const boost::json::value json = request.body.empty() ? boost::json::object() : boost::json::parse(request.body, ec);
    if (ec) return respond(refused("the body is not JSON: " + ec.message()));
    std::string envelope, error;
    if (!json_to_envelope(json, *operation_.input, operation_.version, envelope, error)) return respond(refused(error));

    http::UpstreamRequest out;
    out.method = "POST";
    out.target = target_.path ? target_.path->render(captures) : address_path(operation_.address);
    if (operation_.version == SoapVersion::soap11) {
      out.headers.push_back({"content-type", std::string(content_type_of(operation_.version))});
      out.headers.push_back({"soapaction", "\"" + operation_.action + "\""});
    } else {
      std::string type(content_type_of(operation_.version));
      if (!operation_.action.empty()) type += "; action=\"" + operation_.action + "\"";
      out.headers.push_back({"content-type", std::move(type)});
    }
    auto trace = bridge::continue_trace(bridge::find_header(request.headers, "traceparent"),
                                        bridge::find_header(request.headers, "tracestate"));
    out.headers.push_back({"traceparent", std::move(trace.traceparent)});
    if (trace.tracestate) out.headers.push_back({"tracestate", std::move(*trace.tracestate)});
    out.body = std::move(envelope);
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
    const auto& answer = *result.response;
    auto envelope = read_envelope(answer.body);
    if (envelope.ok() && envelope.fault) {
      counters.upstream_faults->inc();
      const auto failure = envelope.fault->side == FaultSide::client ? Failure::bad_request : Failure::bad_gateway;
      return failure_response(failure, envelope.fault->reason, route);
    }
    if (!envelope.ok() || answer.status / 100 != 2) {
      counters.response_errors->inc();
      const std::string why = envelope.ok() ? "status " + std::to_string(answer.status) : envelope.error;
      return failure_response(Failure::bad_gateway, "upstream '" + upstream + "' answered no SOAP response: " + why, route);
    }
    if (!operation.output) return json_response(boost::json::object());
    boost::json::value json;
    std::string error;
    if (!body_to_json(envelope, *operation.output, json, error)) {
      counters.response_errors->inc();
      return failure_response(Failure::bad_gateway, "upstream '" + upstream + "' answered what does not fit: " + error, route);
    }
    return json_response(json);
  }

  const config::Route& route_;
  const config::UpstreamTarget& target_;
  std::shared_ptr<const WsdlCatalog> catalog_;
  const SoapOperation& operation_;
  std::shared_ptr<http::UpstreamClient> upstream_;
  SoapCounters counters_;
};

}  // namespace

std::string address_path(const std::string& location) {
  const auto scheme = location.find("://");
  const auto slash = location.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : location.substr(slash);
}

std::unique_ptr<bridge::Flow> make_soap_flow(const config::Route& route, const SoapFlowResources& resources) {
  const auto& name = *std::get<config::UpstreamTarget>(route.to).soap;
  // config_check.cpp made sure the operation is there.
  return std::make_unique<RestToSoap>(route, resources, *resources.catalog->find(name.service, name.operation));
}

}  // namespace causeway::soap
