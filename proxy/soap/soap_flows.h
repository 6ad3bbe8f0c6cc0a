#pragma once
// The flows of routes with a SOAP side, built like grpc/grpc_flows.h:
//   HTTP listener -> SOAP upstream  the JSON body -> the operation's request envelope,
//                                   POSTed with its SOAPAction; the response envelope ->
//                                   JSON; an upstream fault -> 400 (Client/Sender) or
//                                   502 (Server/Receiver) with its faultstring.
//   SOAP listener -> REST upstream  the JSON the endpoint (soap_listener.h) made of the
//                                   envelope, POSTed; the upstream's answer as it came.
//   SOAP listener -> SOAP upstream  that JSON through the first flow: one operation's
//                                   envelope re-written as another's (or another version's).

#include <functional>
#include <memory>
#include <string>

#include "bridge/flow.h"
#include "config/config.h"

namespace causeway::metrics {
class Registry;
}
namespace causeway::http {
class UpstreamClient;
}

namespace causeway::soap {

class WsdlCatalog;

struct SoapFlowResources {
  std::shared_ptr<const WsdlCatalog> catalog;
  std::function<std::shared_ptr<http::UpstreamClient>(const std::string& upstream)> http_upstream;
  metrics::Registry* registry = nullptr;  // causeway_soap_faults_total, causeway_soap_errors_total
};

// The flow of a route whose target is a SOAP operation (config::UpstreamTarget::soap),
// (from REST, or from a SOAP listener: SOAP -> SOAP), or of a SOAP listener route to a
// REST upstream.
std::unique_ptr<bridge::Flow> make_soap_flow(const config::Route& route, const SoapFlowResources& resources);

// The path of a soap:address location ("http://host:8080/quotes" -> "/quotes").
std::string address_path(const std::string& location);

}  // namespace causeway::soap
