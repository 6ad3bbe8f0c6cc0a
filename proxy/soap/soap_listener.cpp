#include "soap/soap_listener.h"

#include <boost/json.hpp>

#include "bridge/failure.h"
#include "soap/json_to_xml.h"
#include "soap/message_codec.h"
#include "soap/operation_lookup.h"
#include "soap/soap_counters.h"
#include "soap/wsdl_address.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {
namespace {

using bridge::Response;

// Causeway's own faults: 1.1 always answers 500, 1.2 the status of what happened.
Response fault_response(SoapVersion version, FaultSide side, int status, std::string_view reason) {
  Response response;
  response.status = version == SoapVersion::soap11 ? 500 : status;
  response.headers.push_back({"content-type", std::string(content_type_of(version))});
  response.body = write_fault(version, side, reason);
  return response;
}

Response client_fault(SoapVersion version, std::string_view reason) {
  return fault_response(version, FaultSide::client, 400, reason);
}

// A flow's non-2xx answer (Causeway's JSON error, or a service's own body) as a fault.
Response fault_of(const Response& failed, SoapVersion version) {
  std::string reason;
  boost::system::error_code ec;
  const auto json = boost::json::parse(failed.body, ec);
  if (!ec && json.is_object()) {
    if (const auto* message = json.as_object().if_contains("message"); message && message->is_string()) {
      reason = message->as_string();
    }
  }
  if (reason.empty()) reason = failed.body.substr(0, 1024);
  if (reason.empty()) reason = "status " + std::to_string(failed.status);
  const FaultSide side = failed.status < 500 ? FaultSide::client : FaultSide::server;
  auto response = fault_response(version, side, failed.status, reason);
  for (const auto& header : failed.headers) {
    if (header.name == "retry-after" || header.name == "allow") response.headers.push_back(header);
  }
  return response;
}

// An event's answer is its 202 data ({"id","topic","partition","offset"}): the output
// element gets the fields it declares, with the types it declares, or stays empty.
std::string event_output(const boost::json::value& data, const ElementDecl& output, SoapVersion version) {
  std::string envelope, error;
  if (data.is_object() && output.complex) {
    boost::json::object declared;
    for (const auto& [key, value] : data.as_object()) {
      if (output.complex->find_element(std::string(key))) declared[key] = value;
    }
    if (json_to_envelope(declared, output, version, envelope, error)) return envelope;
  }
  if (json_to_envelope(boost::json::object(), output, version, envelope, error)) return envelope;
  std::string empty = "<" + output.name;
  if (!output.ns.empty()) {
    empty += " xmlns=\"";
    append_escaped(empty, output.ns);
    empty += "\"";
  }
  return write_envelope(version, empty + "/>");
}

bool asks_for_wsdl(std::string_view query) {
  const std::string_view name = query.substr(0, query.find_first_of("&="));
  return name.size() == 4 && (name == "wsdl" || name == "WSDL");
}

struct Operation {
  const config::Route* route;
  std::unique_ptr<bridge::Flow> flow;
  SoapCounters counters;
};

class SoapEndpoint : public bridge::Flow {
 public:
  SoapEndpoint(std::vector<bridge::SoapOperationRoute> routes, const SoapFlowResources& resources, std::string scheme)
      : catalog_(resources.catalog), scheme_(std::move(scheme)) {
    std::string names;
    for (auto& entry : routes) {
      const auto& name = *entry.route->http_source()->soap;
      operations_.push_back(Operation{entry.route, std::move(entry.flow),
                                      SoapCounters(*resources.registry, entry.route->name, "listener")});
      // config_check.cpp made sure each operation is there; find() falls back to the other version's port.
      by_version_[0].push_back(catalog_->find(name.service, name.operation, SoapVersion::soap11));
      by_version_[1].push_back(catalog_->find(name.service, name.operation, SoapVersion::soap12));
      names += (names.empty() ? "" : "|") + entry.route->name;
    }
    // Faults before an operation is known count under every route of the path.
    unpicked_ = operations_.size() == 1 ? operations_.front().counters.faults
                                        : SoapCounters(*resources.registry, names, "listener").faults;
  }

  void handle(bridge::Request request, routing::Captures captures, bridge::Responder respond) override {
    if (request.method == "GET" && asks_for_wsdl(request.query)) return respond(wsdl(request));
    const auto* content_type = bridge::find_header(request.headers, "content-type");
    const auto* action = bridge::find_header(request.headers, "soapaction");
    const auto call = soap_call_of(content_type ? *content_type : "", action ? *action : "");
    if (request.method != "POST") {
      auto response = refused(call ? call->version : SoapVersion::soap11, FaultSide::client, 405,
                              "SOAP calls are POSTed; GET serves the WSDL (?wsdl)");
      response.headers.push_back({"allow", "GET, POST"});
      return respond(std::move(response));
    }
    if (!call) {
      return respond(refused(SoapVersion::soap11, FaultSide::client, 415,
                             "expected a SOAP message (text/xml or application/soap+xml), not '" +
                                 (content_type ? *content_type : std::string()) + "'"));
    }
    const SoapVersion version = call->version;
    // The listener bounded the body already (max_body); the parser bounds depth and refuses DTDs.
    XmlLimits limits;
    limits.max_bytes = std::max<std::size_t>(request.body.size(), 1);
    auto envelope = read_envelope(request.body, limits);
    if (!envelope.ok()) return respond(refused(version, FaultSide::client, 400, "not a SOAP request: " + envelope.error));
    if (envelope.version != version) {
      return respond(refused(version, FaultSide::client, 400, "the envelope's SOAP version is not the content type's"));
    }
    if (envelope.fault) return respond(refused(version, FaultSide::client, 400, "a request may not be a SOAP fault"));
    const auto& candidates = by_version_[version == SoapVersion::soap11 ? 0 : 1];
    const std::string body_ns = namespace_of(envelope.body_element);
    const std::string body_name = local_name(envelope.body_element);
    const std::size_t index = pick_operation(candidates, call->action, body_ns, body_name);
    if (index == kNoOperation) {
      return respond(refused(version, FaultSide::client, 400,
                             "no operation here takes {" + body_ns + "}" + body_name +
                                 (call->action.empty() ? std::string() : " or action '" + call->action + "'")));
    }
    Operation& operation = operations_[index];
    const SoapOperation& soap = *candidates[index];
    boost::json::value json;
    std::string error;
    if (!body_to_json(envelope, *soap.input, json, error)) {
      operation.counters.request_errors->inc();
      operation.counters.faults->inc();
      return respond(client_fault(version, error));
    }

    bridge::Request onward;
    onward.method = "POST";
    onward.path = std::move(request.path);
    onward.query = std::move(request.query);
    for (auto& header : request.headers) {
      // No Prefer: a SOAP caller cannot poll a 202's Location, it waits for the output.
      if (header.name != "content-type" && header.name != "content-length" && header.name != "soapaction" &&
          header.name != "prefer") {
        onward.headers.push_back(std::move(header));
      }
    }
    onward.headers.push_back({"content-type", "application/json"});
    onward.body = boost::json::serialize(json);
    // The answer may come after a reload dropped this endpoint: it holds the catalog, not us.
    operation.flow->handle(
        std::move(onward), std::move(captures),
        bridge::Responder([respond, catalog = catalog_, soap = &soap, version, counters = operation.counters,
                           event = operation.route->mode == config::Mode::event](Response answer) {
          respond(output_of(std::move(answer), *soap, version, counters, event));
        }));
  }

  Response refusal(const bridge::Request& head, Response plain) override {
    const auto* content_type = bridge::find_header(head.headers, "content-type");
    const auto call = soap_call_of(content_type ? *content_type : "", "");
    unpicked_->inc();
    return fault_of(plain, call ? call->version : SoapVersion::soap11);
  }

 private:
  Response refused(SoapVersion version, FaultSide side, int status, std::string_view reason) const {
    unpicked_->inc();
    return fault_response(version, side, status, reason);
  }

  static Response output_of(Response answer, const SoapOperation& soap, SoapVersion version,
                            const SoapCounters& counters, bool event) {
    if (answer.status / 100 != 2) {
      counters.faults->inc();
      return fault_of(answer, version);
    }
    Response response;
    if (!soap.output) {
      response.status = 202;  // a one-way operation: accepted, nothing to say
      return response;
    }
    boost::system::error_code ec;
    const auto json = answer.body.empty() ? boost::json::value(boost::json::object())
                                          : boost::json::parse(answer.body, ec);
    std::string error;
    if (ec) {
      error = "the answer is not JSON: " + ec.message();
    } else if (event) {
      response.body = event_output(json, *soap.output, version);
    } else if (!json_to_envelope(json, *soap.output, version, response.body, error, NumberText::accepted)) {
      error = "the answer does not fit " + soap.output->name + ": " + error;
    }
    if (!error.empty()) {
      counters.response_errors->inc();
      counters.faults->inc();
      return fault_response(version, FaultSide::server, 502, error);
    }
    response.headers.push_back({"content-type", std::string(content_type_of(version))});
    return response;
  }

  Response wsdl(const bridge::Request& request) const {
    const auto& service = operations_.front().route->http_source()->soap->service;
    const auto* text = catalog_->wsdl_text(service);
    const auto* host = bridge::find_header(request.headers, "host");
    if (!text || !host || !plain_host(*host)) {
      return bridge::failure_response(bridge::Failure::bad_request, "the WSDL is served to a request with a Host");
    }
    Response response;
    response.headers.push_back({"content-type", "text/xml; charset=utf-8"});
    response.body = rewrite_addresses(*text, scheme_ + "://" + *host + request.path);
    return response;
  }

  std::shared_ptr<const WsdlCatalog> catalog_;
  std::string scheme_;
  std::vector<Operation> operations_;
  std::vector<const SoapOperation*> by_version_[2];
  metrics::Counter* unpicked_ = nullptr;
};

}  // namespace

std::unique_ptr<bridge::Flow> make_soap_endpoint(std::vector<bridge::SoapOperationRoute> operations,
                                                 const SoapFlowResources& resources, std::string scheme) {
  return std::make_unique<SoapEndpoint>(std::move(operations), resources, std::move(scheme));
}

std::string listener_path(const config::Route& route, const WsdlCatalog& catalog) {
  const auto& from = *route.http_source();
  if (!from.wsdl_path) return from.path.text();
  return address_path(catalog.find(from.soap->service, from.soap->operation)->address);
}

}  // namespace causeway::soap
