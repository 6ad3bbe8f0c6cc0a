#include "soap/schema_reader.h"

#include <functional>

#include "soap/untrusted_xml.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {
namespace {

bool is_xsd(const xmlNode* node, const char* local) {
  return node->type == XML_ELEMENT_NODE && namespace_of(node) == kXsdNamespace && local_name(node) == local;
}

std::string attribute(const xmlNode* node, const char* name) { return attribute_text(node, name); }

class SchemaPasses {
 public:
  SchemaPasses(SchemaSet& set) : set_(set) {}

  void names(const SchemaSource& source) {
    const std::string tns = attribute(source.schema, "targetNamespace");
    for (auto* node = first_element_child(source.schema); node; node = next_element(node->next)) {
      const std::string name = attribute(node, "name");
      if (is_xsd(node, "complexType")) {
        set_.types[qualified_name(tns, name)] = std::make_unique<ComplexType>();
      } else if (is_xsd(node, "simpleType")) {
        simple_bases_.emplace_back(qualified_name(tns, name), restriction_base(node));
      } else if (is_xsd(node, "element")) {
        auto element = std::make_unique<ElementDecl>();
        element->name = name;
        element->ns = tns;
        set_.elements[qualified_name(tns, name)] = std::move(element);
      } else if (is_xsd(node, "import") || is_xsd(node, "include")) {
        if (!attribute(node, "schemaLocation").empty()) {
          fail(source, node, "schemaLocation imports are not supported: embed the schema in the WSDL");
        }
      }
    }
  }

  void resolve_simple_types() {
    // A restriction of a restriction: resolved until nothing changes (chains are short).
    for (std::size_t round = 0; round <= simple_bases_.size(); ++round) {
      for (const auto& [name, base] : simple_bases_) {
        if (base.first == kXsdNamespace) {
          set_.simple_types[name] = builtin_kind(base.second);
        } else if (auto found = set_.simple_types.find(qualified_name(base.first, base.second));
                   found != set_.simple_types.end()) {
          set_.simple_types[name] = found->second;
        } else {
          set_.simple_types.emplace(name, ValueKind::string);
        }
      }
    }
  }

  void global_elements(const SchemaSource& source) {
    const std::string tns = attribute(source.schema, "targetNamespace");
    for (auto* node = first_element_child(source.schema); node; node = next_element(node->next)) {
      if (!is_xsd(node, "element")) continue;
      ElementDecl& element = *set_.elements[qualified_name(tns, attribute(node, "name"))];
      type_of(source, node, element);
    }
  }

  void contents(const SchemaSource& source) {
    const std::string tns = attribute(source.schema, "targetNamespace");
    const bool qualified = attribute(source.schema, "elementFormDefault") == "qualified";
    for (auto* node = first_element_child(source.schema); node; node = next_element(node->next)) {
      if (is_xsd(node, "complexType")) {
        fill(source, node, *set_.types[qualified_name(tns, attribute(node, "name"))], tns, qualified);
      } else if (is_xsd(node, "element")) {
        fill_inline(source, node, tns, qualified);
      }
    }
  }

 private:
  [[noreturn]] void fail(const SchemaSource& source, const xmlNode* node, const std::string& message) {
    throw WsdlError(source.file + ":" + std::to_string(xmlGetLineNo(node)) + ": " + message);
  }

  std::pair<std::string, std::string> restriction_base(const xmlNode* simple_type) {
    for (auto* child = first_element_child(simple_type); child; child = next_element(child->next)) {
      if (is_xsd(child, "restriction")) return resolve_qname(child, attribute(child, "base"));
    }
    return {kXsdNamespace, "string"};  // xs:list, xs:union: their text as a string
  }

  // The kind or complex type of an element from type= or an inline type. Inline complex
  // types are allocated here and filled by the contents pass.
  void type_of(const SchemaSource& source, const xmlNode* node, ElementDecl& element) {
    const std::string type = attribute(node, "type");
    if (!type.empty()) {
      auto [ns, local] = resolve_qname(node, type);
      if (ns == kXsdNamespace) {
        element.kind = builtin_kind(local);
      } else if (auto complex = set_.types.find(qualified_name(ns, local)); complex != set_.types.end()) {
        element.complex = complex->second.get();
      } else if (auto simple = set_.simple_types.find(qualified_name(ns, local)); simple != set_.simple_types.end()) {
        element.kind = simple->second;
      } else {
        fail(source, node, "element '" + element.name + "' has unknown type " + type);
      }
      return;
    }
    for (auto* child = first_element_child(node); child; child = next_element(child->next)) {
      if (is_xsd(child, "complexType")) {
        set_.anonymous.push_back(std::make_unique<ComplexType>());
        element.complex = set_.anonymous.back().get();
        inline_types_[child] = set_.anonymous.back().get();
      } else if (is_xsd(child, "simpleType")) {
        auto [ns, local] = restriction_base(child);
        element.kind = ns == kXsdNamespace ? builtin_kind(local) : ValueKind::string;
      }
    }
  }

  void fill_inline(const SchemaSource& source, const xmlNode* node, const std::string& tns, bool qualified) {
    for (auto* child = first_element_child(node); child; child = next_element(child->next)) {
      if (auto found = inline_types_.find(child); found != inline_types_.end()) {
        fill(source, child, *found->second, tns, qualified);
      }
    }
  }

  void fill(const SchemaSource& source, const xmlNode* type_node, ComplexType& type, const std::string& tns,
            bool qualified) {
    for (auto* child = first_element_child(type_node); child; child = next_element(child->next)) {
      if (is_xsd(child, "sequence") || is_xsd(child, "all") || is_xsd(child, "choice")) {
        particles(source, child, type, tns, qualified, is_xsd(child, "choice"));
      } else if (is_xsd(child, "attribute")) {
        type.attributes.push_back(attribute_decl(source, child));
      } else if (is_xsd(child, "simpleContent")) {
        simple_content(source, child, type);
      } else if (is_xsd(child, "complexContent") || is_xsd(child, "group") || is_xsd(child, "attributeGroup")) {
        fail(source, child, "xs:" + local_name(child) + " is not supported by the XML <-> JSON mapping");
      }
    }
  }

  void particles(const SchemaSource& source, const xmlNode* group, ComplexType& type, const std::string& tns,
                 bool qualified, bool choice) {
    for (auto* child = first_element_child(group); child; child = next_element(child->next)) {
      if (is_xsd(child, "sequence") || is_xsd(child, "choice")) {
        particles(source, child, type, tns, qualified, choice || is_xsd(child, "choice"));
      } else if (is_xsd(child, "element")) {
        type.elements.push_back(local_element(source, child, tns, qualified));
        if (choice) type.elements.back().optional = true;
        if (attribute(group, "maxOccurs") == "unbounded") type.elements.back().repeated = true;
      } else if (is_xsd(child, "any")) {
        fail(source, child, "xs:any is not supported by the XML <-> JSON mapping");
      }
    }
  }

  ElementDecl local_element(const SchemaSource& source, const xmlNode* node, const std::string& tns, bool qualified) {
    ElementDecl element;
    if (const std::string ref = attribute(node, "ref"); !ref.empty()) {
      auto [ns, local] = resolve_qname(node, ref);
      const ElementDecl* global = set_.find_element(ns, local);
      if (!global) fail(source, node, "element ref " + ref + " names no global element");
      element = *global;
    } else {
      element.name = attribute(node, "name");
      const std::string form = attribute(node, "form");
      element.ns = (form.empty() ? qualified : form == "qualified") ? tns : "";
      type_of(source, node, element);
      fill_inline(source, node, tns, qualified);
    }
    const std::string max = attribute(node, "maxOccurs");
    element.repeated = max == "unbounded" || (!max.empty() && max != "0" && max != "1");
    element.optional = attribute(node, "minOccurs") == "0";
    element.nillable = attribute(node, "nillable") == "true";
    return element;
  }

  AttributeDecl attribute_decl(const SchemaSource& source, const xmlNode* node) {
    AttributeDecl decl;
    decl.name = attribute(node, "name");
    if (const std::string type = attribute(node, "type"); !type.empty()) decl.kind = simple_kind(node, type);
    if (decl.name.empty()) fail(source, node, "attribute without a name (ref= is not supported)");
    return decl;
  }

  void simple_content(const SchemaSource& source, const xmlNode* node, ComplexType& type) {
    type.simple_content = true;
    for (auto* child = first_element_child(node); child; child = next_element(child->next)) {
      if (!is_xsd(child, "extension") && !is_xsd(child, "restriction")) continue;
      type.text_kind = simple_kind(child, attribute(child, "base"));
      for (auto* part = first_element_child(child); part; part = next_element(part->next)) {
        if (is_xsd(part, "attribute")) type.attributes.push_back(attribute_decl(source, part));
      }
    }
  }

  ValueKind simple_kind(const xmlNode* node, const std::string& qname) {
    auto [ns, local] = resolve_qname(node, qname);
    if (ns == kXsdNamespace) return builtin_kind(local);
    auto found = set_.simple_types.find(qualified_name(ns, local));
    return found == set_.simple_types.end() ? ValueKind::string : found->second;
  }

  SchemaSet& set_;
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> simple_bases_;
  std::map<const xmlNode*, ComplexType*> inline_types_;
};

}  // namespace

std::pair<std::string, std::string> resolve_qname(const xmlNode* node, const std::string& qname) {
  const auto colon = qname.find(':');
  const std::string prefix = colon == std::string::npos ? "" : qname.substr(0, colon);
  const std::string local = colon == std::string::npos ? qname : qname.substr(colon + 1);
  const xmlNs* ns = xmlSearchNs(node->doc, const_cast<xmlNode*>(node),
                                prefix.empty() ? nullptr : reinterpret_cast<const xmlChar*>(prefix.c_str()));
  return {ns && ns->href ? reinterpret_cast<const char*>(ns->href) : "", local};
}

void read_schemas(const std::vector<SchemaSource>& sources, SchemaSet& into) {
  SchemaPasses passes(into);
  for (const auto& source : sources) passes.names(source);
  passes.resolve_simple_types();
  for (const auto& source : sources) passes.global_elements(source);
  for (const auto& source : sources) passes.contents(source);
}

}  // namespace causeway::soap
