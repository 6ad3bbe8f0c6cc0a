#pragma once
// A whole SOAP message <-> the JSON object of its body's element: what flows carry.
// Errors are values: this runs on the data path.

#include <boost/json/value.hpp>
#include <string>

#include "soap/envelope.h"
#include "soap/json_to_xml.h"
#include "soap/xml_schema.h"

namespace causeway::soap {

// The JSON of the body of `envelope` (read, no fault), which must be `decl`'s element.
bool body_to_json(const ReadEnvelope& envelope, const ElementDecl& decl, boost::json::value& out, std::string& error);

// An envelope of `version` whose body is `decl`'s element holding `value`.
bool json_to_envelope(const boost::json::value& value, const ElementDecl& decl, SoapVersion version,
                      std::string& envelope, std::string& error, NumberText numbers = NumberText::refused);

}  // namespace causeway::soap
