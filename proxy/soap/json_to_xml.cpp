#include "soap/json_to_xml.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace causeway::soap {
namespace {

namespace json = boost::json;

// The lexemes of xs:integer and of a finite xs:double, as a quoted number must be.
bool integer_text(std::string_view text) {
  if (text.starts_with('-')) text.remove_prefix(1);
  return !text.empty() && text.size() <= 20 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool number_text(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

class XmlWriter {
 public:
  XmlWriter(std::string& xml, std::string& error, NumberText numbers) : xml_(xml), error_(error), numbers_(numbers) {}

  bool element(const json::value& value, const ElementDecl& decl, const std::string& path, const std::string& parent_ns) {
    xml_ += '<';
    xml_ += decl.name;
    if (decl.ns != parent_ns) {
      xml_ += " xmlns=\"";
      append_escaped(xml_, decl.ns);
      xml_ += '"';
    }
    if (value.is_null()) {
      if (!decl.nillable) return fail(path, "is null but not nillable");
      xml_ += " xsi:nil=\"true\"/>";
      return true;
    }
    if (!decl.complex) {
      xml_ += '>';
      if (!simple(value, decl.kind, path)) return false;
    } else if (!complex(value, *decl.complex, path, decl.ns)) {
      return false;
    }
    xml_ += "</";
    xml_ += decl.name;
    xml_ += '>';
    return true;
  }

 private:
  bool quoted(const json::value& value, bool (*lexeme)(std::string_view)) const {
    return numbers_ == NumberText::accepted && value.is_string() && lexeme(value.get_string());
  }

  bool fail(const std::string& path, const std::string& message) {
    error_ = path + ": " + message;
    return false;
  }

  bool simple(const json::value& value, ValueKind kind, const std::string& path) {
    char buffer[64];
    switch (kind) {
      case ValueKind::string:
        if (!value.is_string()) return fail(path, "expected a string");
        for (unsigned char c : value.get_string()) {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return fail(path, "has a control character XML cannot carry");
        }
        append_escaped(xml_, value.get_string());
        return true;
      case ValueKind::integer:
        if (value.is_int64()) xml_ += std::to_string(value.get_int64());
        else if (value.is_uint64()) xml_ += std::to_string(value.get_uint64());
        else if (quoted(value, integer_text)) xml_ += value.get_string();
        else return fail(path, "expected an integer");
        return true;
      case ValueKind::number: {
        if (value.is_int64()) xml_ += std::to_string(value.get_int64());
        else if (value.is_uint64()) xml_ += std::to_string(value.get_uint64());
        else if (value.is_double() && std::isfinite(value.get_double())) {
          auto result = std::to_chars(buffer, buffer + sizeof buffer, value.get_double());
          xml_.append(buffer, result.ptr);
        } else if (quoted(value, number_text)) {
          xml_ += value.get_string();
        } else {
          return fail(path, "expected a number");
        }
        return true;
      }
      case ValueKind::boolean:
        if (!value.is_bool()) return fail(path, "expected a boolean");
        xml_ += value.get_bool() ? "true" : "false";
        return true;
    }
    return false;
  }

  bool complex(const json::value& value, const ComplexType& type, const std::string& path, const std::string& ns) {
    if (!value.is_object()) return fail(path, "expected an object");
    const auto& object = value.get_object();
    for (const auto& [key, field] : object) {
      const std::string name(key);
      const bool known = name == "#text" ? type.simple_content
                         : name.starts_with("@") ? type.find_attribute(name.substr(1)) != nullptr
                                                 : type.find_element(name) != nullptr;
      if (!known) return fail(path + "." + name, "is not in the schema");
    }
    for (const auto& attribute : type.attributes) {
      const auto* field = object.if_contains("@" + attribute.name);
      if (!field) continue;
      xml_ += ' ';
      xml_ += attribute.name;
      xml_ += "=\"";
      if (!simple(*field, attribute.kind, path + ".@" + attribute.name)) return false;
      xml_ += '"';
    }
    xml_ += '>';
    if (type.simple_content) {
      const auto* text = object.if_contains("#text");
      if (text && !simple(*text, type.text_kind, path + ".#text")) return false;
      return true;
    }
    for (const auto& decl : type.elements) {
      const std::string field_path = path + "." + decl.name;
      const auto* field = object.if_contains(decl.name);
      if (!field) {
        if (!decl.optional && !decl.repeated) return fail(field_path, "is required but missing");
        continue;
      }
      if (!decl.repeated) {
        if (!element(*field, decl, field_path, ns)) return false;
        continue;
      }
      if (!field->is_array()) return fail(field_path, "expected an array");
      std::size_t index = 0;
      for (const auto& item : field->get_array()) {
        if (!element(item, decl, field_path + "[" + std::to_string(index++) + "]", ns)) return false;
      }
    }
    return true;
  }

  std::string& xml_;
  std::string& error_;
  NumberText numbers_;
};

}  // namespace

void append_escaped(std::string& xml, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': xml += "&amp;"; break;
      case '<': xml += "&lt;"; break;
      case '>': xml += "&gt;"; break;
      case '"': xml += "&quot;"; break;
      // As references, so that attribute-value normalization cannot turn them into spaces.
      case '\r': xml += "&#13;"; break;
      case '\n': xml += "&#10;"; break;
      case '\t': xml += "&#9;"; break;
      default: xml += c;
    }
  }
}

bool json_to_element(const boost::json::value& value, const ElementDecl& decl, std::string& xml, std::string& error,
                     const std::string& parent_ns, NumberText numbers) {
  return XmlWriter(xml, error, numbers).element(value, decl, decl.name, parent_ns);
}

}  // namespace causeway::soap
