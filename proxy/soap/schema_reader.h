#pragma once
// Reads the xs:schema elements of WSDL files into a SchemaSet, in three passes so that
// declarations may refer to each other in any order and across schemas: names first,
// then what global elements are, then the content of every complex type.
// Throws WsdlError "file:line: ..." for what the mapping does not cover.

#include <libxml/tree.h>

#include <string>
#include <vector>

#include "soap/xml_schema.h"

namespace causeway::soap {

inline constexpr const char* kXsdNamespace = "http://www.w3.org/2001/XMLSchema";

struct SchemaSource {
  const xmlNode* schema = nullptr;  // an xs:schema element
  std::string file;                 // for errors
};

void read_schemas(const std::vector<SchemaSource>& sources, SchemaSet& into);

// "tns:Name" resolved against the namespaces in scope at `node`: {namespace, local}.
std::pair<std::string, std::string> resolve_qname(const xmlNode* node, const std::string& qname);

}  // namespace causeway::soap
