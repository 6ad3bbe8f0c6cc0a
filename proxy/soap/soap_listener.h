#pragma once
// The SOAP endpoint of one path on an HTTP listener: every operation routed there,
// each with the route's own flow (event, request-reply, REST call) behind it.
//   POST   envelope -> the operation (by action, else by the body's element) -> its
//          input as JSON -> the flow; the flow's JSON answer -> the output element.
//   GET ?wsdl  the WSDL with its addresses pointing at this listener.
// Whatever fails is answered as a SOAP fault of the caller's version, here alone.

#include <memory>
#include <vector>

#include "bridge/dispatcher.h"
#include "soap/soap_flows.h"

namespace causeway::soap {

// `scheme` ("http" or "https", the listener's) begins the addresses ?wsdl writes.
std::unique_ptr<bridge::Flow> make_soap_endpoint(std::vector<bridge::SoapOperationRoute> operations,
                                                 const SoapFlowResources& resources, std::string scheme);

// The path a SOAP listener route answers on: its own, or its WSDL port's soap:address.
std::string listener_path(const config::Route& route, const WsdlCatalog& catalog);

}  // namespace causeway::soap
