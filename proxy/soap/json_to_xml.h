#pragma once
// JSON -> an element by its schema declaration, the reverse of xml_to_json.h. Fields are
// written in the schema's sequence order; a field the schema lacks, a missing required
// one or a value of the wrong JSON type is an error naming its path.

#include <boost/json/value.hpp>
#include <string>

#include "soap/xml_schema.h"

namespace causeway::soap {

// Appends the element to `xml`. Namespaces are declared as default namespaces where
// they change; `parent_ns` is the default namespace in scope. A null written needs the
// xsi prefix declared by an enclosing element (the envelope does).
// A caller's JSON must have the schema's types. A service's answer may hold a number as
// a string (`accepted`): ProtoJSON writes 64-bit integers so, and many JSON APIs do.
enum class NumberText { refused, accepted };

bool json_to_element(const boost::json::value& value, const ElementDecl& decl, std::string& xml, std::string& error,
                     const std::string& parent_ns = {}, NumberText numbers = NumberText::refused);

// Text escaped for XML content and attribute values.
void append_escaped(std::string& xml, std::string_view text);

}  // namespace causeway::soap
