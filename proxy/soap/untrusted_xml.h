#pragma once
// Parses XML that came from outside: no DOCTYPE at all (so no entities to expand and
// no DTD to load), no network, no external entity of any kind, bounded size and depth.
// A refusal is a value, never an exception: this runs on the data path.

#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace causeway::soap {

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocument = std::unique_ptr<xmlDoc, XmlDocFree>;

struct XmlLimits {
  std::size_t max_bytes = 1024 * 1024;
  int max_depth = 64;  // elements nested deeper are refused
};

struct ParsedXml {
  XmlDocument doc;     // null when refused
  std::string error;   // why, when refused: "line 3: ..."
};

ParsedXml parse_untrusted_xml(std::string_view text, const XmlLimits& limits = {});

// The text of an element's children (its simple value).
std::string element_text(const xmlNode* node);
// An attribute without a namespace, or one in `ns`; nullopt-like: `found` false when absent.
bool attribute_value(const xmlNode* node, const char* name, const char* ns, std::string& value);
// An unqualified attribute's value, "" when absent (what WSDL and schema attributes need).
std::string attribute_text(const xmlNode* node, const char* name);
// Text without the XML whitespace (space, tab, CR, LF) around it.
std::string_view trim_xml_space(std::string_view text);
// The element's namespace URI, "" when it has none.
std::string namespace_of(const xmlNode* node);
std::string local_name(const xmlNode* node);
// The first element child at or after `node` (children list walking), or null.
const xmlNode* next_element(const xmlNode* node);
inline const xmlNode* first_element_child(const xmlNode* node) { return next_element(node->children); }

}  // namespace causeway::soap
