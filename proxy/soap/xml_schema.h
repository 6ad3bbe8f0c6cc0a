#pragma once
// The part of XML Schema that SOAP messages are mapped to JSON by: elements with a
// complex type become objects, repeated ones arrays, numbers and booleans typed.
// Types are held by the WsdlCatalog that parsed them and never change afterwards.

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace causeway::soap {

// How a simple value appears in JSON.
enum class ValueKind { string, integer, number, boolean };

struct ComplexType;

struct ElementDecl {
  std::string name;
  std::string ns;  // empty for an unqualified local element
  ValueKind kind = ValueKind::string;
  const ComplexType* complex = nullptr;  // null for a simple-typed element
  bool repeated = false;                 // maxOccurs > 1 or unbounded: a JSON array
  bool optional = false;                 // minOccurs="0"
  bool nillable = false;                 // xsi:nil="true" <-> null
};

struct AttributeDecl {
  std::string name;  // "@name" in JSON
  ValueKind kind = ValueKind::string;
};

struct ComplexType {
  std::vector<ElementDecl> elements;  // in sequence order
  std::vector<AttributeDecl> attributes;
  bool simple_content = false;  // the element's text is "#text"
  ValueKind text_kind = ValueKind::string;

  const ElementDecl* find_element(const std::string& name) const;
  const AttributeDecl* find_attribute(const std::string& name) const;
};

// "{namespace}local", the key of global declarations.
std::string qualified_name(const std::string& ns, const std::string& local);

// The value kind of a built-in XML Schema type by its local name ("int" -> integer).
ValueKind builtin_kind(const std::string& local_name);

// Global elements and named types of the schemas of one catalog.
struct SchemaSet {
  std::map<std::string, std::unique_ptr<ElementDecl>> elements;  // by qualified_name
  std::map<std::string, std::unique_ptr<ComplexType>> types;     // named complex types
  std::map<std::string, ValueKind> simple_types;                 // named simple types
  std::vector<std::unique_ptr<ComplexType>> anonymous;           // inline complexTypes

  const ElementDecl* find_element(const std::string& ns, const std::string& local) const;
};

}  // namespace causeway::soap
