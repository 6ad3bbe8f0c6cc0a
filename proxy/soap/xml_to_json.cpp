#include "soap/xml_to_json.h"

#include <boost/json.hpp>
#include <charconv>

#include "soap/soap_version.h"
#include "soap/untrusted_xml.h"

namespace causeway::soap {
namespace {

namespace json = boost::json;

std::string_view trimmed(std::string_view text) { return trim_xml_space(text); }

bool simple_value(std::string_view text, ValueKind kind, json::value& out) {
  if (kind == ValueKind::string) {
    out = json::string(text);
    return true;
  }
  text = trimmed(text);
  const char* end = text.data() + text.size();
  switch (kind) {
    case ValueKind::integer: {
      if (!text.empty() && text.front() == '+') text.remove_prefix(1);
      std::int64_t signed_value = 0;
      if (auto [ptr, ec] = std::from_chars(text.data(), end, signed_value); ec == std::errc() && ptr == end && !text.empty()) {
        out = signed_value;
        return true;
      }
      std::uint64_t unsigned_value = 0;
      if (auto [ptr, ec] = std::from_chars(text.data(), end, unsigned_value); ec == std::errc() && ptr == end && !text.empty()) {
        out = unsigned_value;
        return true;
      }
      return false;
    }
    case ValueKind::number: {
      if (!text.empty() && text.front() == '+') text.remove_prefix(1);
      double value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec != std::errc() || ptr != end || text.empty()) return false;
      out = value;
      return true;
    }
    case ValueKind::boolean:
      if (text == "true" || text == "1") out = true;
      else if (text == "false" || text == "0") out = false;
      else return false;
      return true;
    case ValueKind::string: break;
  }
  return false;
}

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::integer: return "an integer";
    case ValueKind::number: return "a number";
    case ValueKind::boolean: return "a boolean";
    case ValueKind::string: break;
  }
  return "a string";
}

class XmlReader {
 public:
  explicit XmlReader(std::string& error) : error_(error) {}

  bool element(const xmlNode* node, const ElementDecl& decl, const std::string& path, json::value& out) {
    std::string nil;
    if (attribute_value(node, "nil", std::string(kXsiNamespace).c_str(), nil) && trimmed(nil) == "true") {
      if (!decl.nillable) return fail(path, "is nil but not nillable");
      out = nullptr;
      return true;
    }
    if (!decl.complex) {
      if (first_element_child(node)) return fail(path, "has child elements but is a simple value");
      const std::string text = element_text(node);
      if (!simple_value(text, decl.kind, out)) return fail(path, "'" + text + "' is not " + kind_name(decl.kind));
      return true;
    }
    return complex(node, *decl.complex, path, out);
  }

 private:
  bool fail(const std::string& path, const std::string& message) {
    error_ = path + ": " + message;
    return false;
  }

  bool complex(const xmlNode* node, const ComplexType& type, const std::string& path, json::value& out) {
    json::object object;
    for (const auto& attribute : type.attributes) {
      std::string text;
      if (!attribute_value(node, attribute.name.c_str(), nullptr, text)) continue;
      json::value value;
      if (!simple_value(text, attribute.kind, value)) {
        return fail(path + ".@" + attribute.name, "'" + text + "' is not " + kind_name(attribute.kind));
      }
      object["@" + attribute.name] = std::move(value);
    }
    if (type.simple_content) {
      const std::string text = element_text(node);
      json::value value;
      if (!simple_value(text, type.text_kind, value)) return fail(path, "'" + text + "' is not " + kind_name(type.text_kind));
      object["#text"] = std::move(value);
    } else if (!trimmed(element_text(node)).empty()) {
      return fail(path, "has text but the schema gives it only elements");
    }
    for (auto* child = first_element_child(node); child; child = next_element(child->next)) {
      const std::string name = local_name(child);
      const ElementDecl* decl = type.find_element(name);
      if (!decl || decl->ns != namespace_of(child)) {
        return fail(path, "unexpected element " + (namespace_of(child).empty() ? "" : "{" + namespace_of(child) + "}") + name);
      }
      json::value value;
      if (!element(child, *decl, path + "." + name, value)) return false;
      if (!decl->repeated) {
        if (object.contains(name)) return fail(path + "." + name, "appears more than once");
        object[name] = std::move(value);
        continue;
      }
      auto& slot = object[name];
      if (!slot.is_array()) slot = json::array();
      slot.as_array().push_back(std::move(value));
    }
    for (const auto& decl : type.elements) {
      if (!decl.optional && !decl.repeated && !object.contains(decl.name)) {
        return fail(path + "." + decl.name, "is required but missing");
      }
    }
    out = std::move(object);
    return true;
  }

  std::string& error_;
};

}  // namespace

bool element_to_json(const xmlNode* element, const ElementDecl& decl, boost::json::value& out, std::string& error) {
  return XmlReader(error).element(element, decl, decl.name, out);
}

}  // namespace causeway::soap
