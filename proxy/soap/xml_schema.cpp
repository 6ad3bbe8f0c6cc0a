#include "soap/xml_schema.h"

#include <array>
#include <string_view>

namespace causeway::soap {

const ElementDecl* ComplexType::find_element(const std::string& name) const {
  for (const auto& element : elements) {
    if (element.name == name) return &element;
  }
  return nullptr;
}

const AttributeDecl* ComplexType::find_attribute(const std::string& name) const {
  for (const auto& attribute : attributes) {
    if (attribute.name == name) return &attribute;
  }
  return nullptr;
}

std::string qualified_name(const std::string& ns, const std::string& local) { return "{" + ns + "}" + local; }

ValueKind builtin_kind(const std::string& local_name) {
  static constexpr std::array<std::string_view, 13> integers = {
      "int",          "integer",       "long",          "short",         "byte",
      "unsignedInt",  "unsignedLong",  "unsignedShort", "unsignedByte",  "nonNegativeInteger",
      "positiveInteger", "negativeInteger", "nonPositiveInteger"};
  for (auto name : integers) {
    if (local_name == name) return ValueKind::integer;
  }
  if (local_name == "decimal" || local_name == "float" || local_name == "double") return ValueKind::number;
  if (local_name == "boolean") return ValueKind::boolean;
  return ValueKind::string;
}

const ElementDecl* SchemaSet::find_element(const std::string& ns, const std::string& local) const {
  auto found = elements.find(qualified_name(ns, local));
  return found == elements.end() ? nullptr : found->second.get();
}

}  // namespace causeway::soap
