#pragma once
// A delivery route's caller for a SOAP operation (from: {broker, topic | queue} to:
// {upstream, soap}): the message's JSON value becomes the operation's request
// envelope, and the answer is made to read as delivery_message.h's judge() reads an
// HTTP service's: the output as JSON (2xx, handled), a Client/Sender fault 400
// (dead-lettered), a Server/Receiver fault 502 (retried), any other answer its own
// status. A value that is no JSON or does not fit the schema is a 400 and not sent.

#include <memory>

#include "bridge/service_caller.h"
#include "config/config.h"
#include "soap/soap_flows.h"

namespace causeway::soap {

std::unique_ptr<bridge::ServiceCaller> make_delivery_caller(const config::Route& route,
                                                            const SoapFlowResources& resources);

}  // namespace causeway::soap
