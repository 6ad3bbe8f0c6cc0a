#pragma once
// One call of a SOAP operation over HTTP, as both callers of SOAP services make it (a
// REST route, soap_flows.h, and a delivery from a topic, soap_delivery.h): the request
// of a JSON input, and what the service's answer says.

#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "bridge/exchange.h"
#include "http/upstream_client.h"
#include "soap/envelope.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {

// The POST of `envelope` to `target` with the operation's version's content type and
// its action; `headers` go along (trace context, a message's origin).
http::UpstreamRequest operation_request(const SoapOperation& operation, std::string envelope, std::string target,
                                        bridge::Headers headers = {});

struct OperationAnswer {
  enum class Kind {
    output,    // 2xx with the output element (or anything, for a one-way operation): `output`
    fault,     // a SOAP fault, whatever the status: `fault`
    not_soap,  // no envelope, or a non-2xx one without a fault: `error`
    unfit,     // 2xx, but the body does not fit the output element: `error`
  };
  Kind kind = Kind::not_soap;
  boost::json::value output;
  std::optional<Fault> fault;
  std::string error;
};

OperationAnswer read_answer(const bridge::Response& answer, const SoapOperation& operation);

}  // namespace causeway::soap
