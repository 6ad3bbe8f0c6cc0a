#pragma once
// SOAP envelopes: reading one (its version, its body's element, or its fault) and
// writing one around a body, or a fault, in either version.

#include <optional>
#include <string>
#include <string_view>

#include "soap/soap_version.h"
#include "soap/untrusted_xml.h"

namespace causeway::soap {

// Whose fault it is: Client/Sender (the message) or Server/Receiver (the processing).
enum class FaultSide { client, server };

struct Fault {
  FaultSide side = FaultSide::server;
  std::string code;    // as received: "soap:Client", "env:Sender", ...
  std::string reason;  // faultstring / Reason Text
};

struct ReadEnvelope {
  XmlDocument doc;
  SoapVersion version = SoapVersion::soap11;
  const xmlNode* body_element = nullptr;  // the Body's first element, when no fault
  std::optional<Fault> fault;
  std::string error;  // set when the text is no envelope (or unsafe XML)

  bool ok() const { return error.empty(); }
};

ReadEnvelope read_envelope(std::string_view text, const XmlLimits& limits = {});

// The envelope of `body_xml` (elements already written); declares xsi for nils.
std::string write_envelope(SoapVersion version, std::string_view body_xml);
std::string write_fault(SoapVersion version, FaultSide side, std::string_view reason);

}  // namespace causeway::soap
