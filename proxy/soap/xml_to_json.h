#pragma once
// An element's content as JSON, by its schema declaration: child elements -> fields
// (repeated ones -> arrays), attributes -> "@name", simple content -> "#text",
// xsi:nil -> null, numbers and booleans typed. An element the schema does not declare,
// or a value that does not read as its type, is an error naming its path.

#include <libxml/tree.h>

#include <boost/json/value.hpp>
#include <string>

#include "soap/xml_schema.h"

namespace causeway::soap {

// False with `error` set ("GetQuote.count: 'x' is not an integer") when it does not fit.
bool element_to_json(const xmlNode* element, const ElementDecl& decl, boost::json::value& out, std::string& error);

}  // namespace causeway::soap
