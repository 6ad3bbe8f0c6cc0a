#include "soap/untrusted_xml.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <mutex>

namespace causeway::soap {
namespace {

// Every external load (DTD, entity, XInclude) fails: nothing is read from disk or network.
xmlParserInputPtr refuse_external_loads(const char*, const char*, xmlParserCtxtPtr) { return nullptr; }

void quiet_errors(void*, const char*, ...) {}

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_external_loads);
    xmlSetGenericErrorFunc(nullptr, quiet_errors);
  });
}

bool too_deep(const xmlNode* node, int depth, int max_depth) {
  if (depth > max_depth) return true;
  for (const xmlNode* child = node->children; child; child = child->next) {
    if (child->type == XML_ELEMENT_NODE && too_deep(child, depth + 1, max_depth)) return true;
  }
  return false;
}

}  // namespace

ParsedXml parse_untrusted_xml(std::string_view text, const XmlLimits& limits) {
  init_libxml();
  if (text.size() > limits.max_bytes) return {nullptr, "XML larger than " + std::to_string(limits.max_bytes) + " bytes"};
  // Only UTF-8 (and ASCII) is read, so the DOCTYPE check below cannot be dodged by an encoding.
  if (text.size() >= 2 && (static_cast<unsigned char>(text[0]) == 0xFE || static_cast<unsigned char>(text[0]) == 0xFF)) {
    return {nullptr, "XML not in UTF-8"};
  }
  if (text.find('\0') != std::string_view::npos) return {nullptr, "XML not in UTF-8"};
  if (text.find("<!DOCTYPE") != std::string_view::npos || text.find("<!ENTITY") != std::string_view::npos) {
    return {nullptr, "DOCTYPE is not allowed"};
  }
  xmlParserCtxtPtr context = xmlNewParserCtxt();
  if (!context) return {nullptr, "out of memory"};
  // Not XML_PARSE_NOENT (substitution), XML_PARSE_DTDLOAD, XML_PARSE_HUGE nor XINCLUDE.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  XmlDocument doc(xmlCtxtReadMemory(context, text.data(), static_cast<int>(text.size()), nullptr, "UTF-8", options));
  std::string error;
  if (!doc) {
    const xmlError* last = xmlCtxtGetLastError(context);
    error = last && last->message ? "line " + std::to_string(last->line) + ": " + last->message : "malformed XML";
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  }
  xmlFreeParserCtxt(context);
  if (!doc) return {nullptr, error};
  if (doc->intSubset || doc->extSubset) return {nullptr, "DOCTYPE is not allowed"};
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root) return {nullptr, "XML without an element"};
  if (too_deep(root, 1, limits.max_depth)) {
    return {nullptr, "XML nested deeper than " + std::to_string(limits.max_depth) + " elements"};
  }
  return {std::move(doc), {}};
}

std::string element_text(const xmlNode* node) {
  std::string text;
  for (const xmlNode* child = node->children; child; child = child->next) {
    if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) && child->content) {
      text += reinterpret_cast<const char*>(child->content);
    }
  }
  return text;
}

bool attribute_value(const xmlNode* node, const char* name, const char* ns, std::string& value) {
  for (const xmlAttr* attribute = node->properties; attribute; attribute = attribute->next) {
    if (xmlStrcmp(attribute->name, reinterpret_cast<const xmlChar*>(name)) != 0) continue;
    const char* attribute_ns = attribute->ns ? reinterpret_cast<const char*>(attribute->ns->href) : nullptr;
    if ((ns == nullptr) != (attribute_ns == nullptr)) continue;
    if (ns && std::string_view(ns) != attribute_ns) continue;
    value.clear();
    for (const xmlNode* child = attribute->children; child; child = child->next) {
      if (child->content) value += reinterpret_cast<const char*>(child->content);
    }
    return true;
  }
  return false;
}

std::string attribute_text(const xmlNode* node, const char* name) {
  std::string value;
  attribute_value(node, name, nullptr, value);
  return value;
}

std::string_view trim_xml_space(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string namespace_of(const xmlNode* node) {
  return node->ns && node->ns->href ? reinterpret_cast<const char*>(node->ns->href) : "";
}

std::string local_name(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

const xmlNode* next_element(const xmlNode* node) {
  while (node && node->type != XML_ELEMENT_NODE) node = node->next;
  return node;
}

}  // namespace causeway::soap
