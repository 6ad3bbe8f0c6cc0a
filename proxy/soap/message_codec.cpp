#include "soap/message_codec.h"

#include "soap/xml_to_json.h"

namespace causeway::soap {

bool body_to_json(const ReadEnvelope& envelope, const ElementDecl& decl, boost::json::value& out, std::string& error) {
  const xmlNode* element = envelope.body_element;
  if (!element) {
    error = "the SOAP Body holds no message";
    return false;
  }
  if (local_name(element) != decl.name || namespace_of(element) != decl.ns) {
    error = "the SOAP Body holds {" + namespace_of(element) + "}" + local_name(element) + ", expected {" + decl.ns +
            "}" + decl.name;
    return false;
  }
  return element_to_json(element, decl, out, error);
}

bool json_to_envelope(const boost::json::value& value, const ElementDecl& decl, SoapVersion version,
                      std::string& envelope, std::string& error, NumberText numbers) {
  std::string body;
  if (!json_to_element(value, decl, body, error, {}, numbers)) return false;
  envelope = write_envelope(version, body);
  return true;
}

}  // namespace causeway::soap
