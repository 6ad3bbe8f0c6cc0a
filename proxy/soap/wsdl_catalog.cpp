#include "soap/wsdl_catalog.h"

#include <fstream>
#include <map>
#include <sstream>

#include "soap/schema_reader.h"
#include "soap/untrusted_xml.h"

namespace causeway::soap {
namespace {

constexpr const char* kWsdl = "http://schemas.xmlsoap.org/wsdl/";
constexpr const char* kSoap11Binding = "http://schemas.xmlsoap.org/wsdl/soap/";
constexpr const char* kSoap12Binding = "http://schemas.xmlsoap.org/wsdl/soap12/";

bool is(const xmlNode* node, const char* ns, const char* local) {
  return node->type == XML_ELEMENT_NODE && namespace_of(node) == ns && local_name(node) == local;
}
bool is_soap(const xmlNode* node, const char* local) {
  return is(node, kSoap11Binding, local) || is(node, kSoap12Binding, local);
}

std::string attribute(const xmlNode* node, const char* name) { return attribute_text(node, name); }

template <typename Visit>
void each_child(const xmlNode* parent, const char* ns, const char* local, Visit visit) {
  for (auto* child = first_element_child(parent); child; child = next_element(child->next)) {
    if (is(child, ns, local)) visit(child);
  }
}

struct LoadedFile {
  std::string path;
  std::string text;
  XmlDocument doc;
};

}  // namespace

// Reads messages, port types, bindings and services of every file into the catalog.
class WsdlReader {
 public:
  explicit WsdlReader(WsdlCatalog& catalog) : catalog_(catalog) {}

  void read(std::vector<LoadedFile>& files) {
    std::vector<SchemaSource> schemas;
    for (auto& file : files) {
      const xmlNode* root = xmlDocGetRootElement(file.doc.get());
      if (!is(root, kWsdl, "definitions")) fail(file, root, "not a WSDL 1.1 document (wsdl:definitions expected)");
      each_child(root, kWsdl, "types", [&](const xmlNode* types) {
        each_child(types, kXsdNamespace, "schema", [&](const xmlNode* schema) { schemas.push_back({schema, file.path}); });
      });
    }
    read_schemas(schemas, catalog_.schemas_);
    for (auto& file : files) definitions(file);
  }

 private:
  struct PortTypeOperation {
    std::string input;  // message qualified names
    std::string output;
  };

  [[noreturn]] static void fail(const LoadedFile& file, const xmlNode* node, const std::string& message) {
    throw WsdlError(file.path + ":" + std::to_string(node ? xmlGetLineNo(node) : 0) + ": " + message);
  }

  static std::string qname_at(const xmlNode* node, const char* name) {
    auto [ns, local] = resolve_qname(node, attribute(node, name));
    return qualified_name(ns, local);
  }

  void definitions(const LoadedFile& file) {
    const xmlNode* root = xmlDocGetRootElement(file.doc.get());
    const std::string tns = attribute(root, "targetNamespace");
    each_child(root, kWsdl, "message", [&](const xmlNode* message) {
      const std::string name = qualified_name(tns, attribute(message, "name"));
      const ElementDecl* element = nullptr;
      int parts = 0;
      each_child(message, kWsdl, "part", [&](const xmlNode* part) {
        ++parts;
        if (attribute(part, "element").empty()) {
          fail(file, part, "part '" + attribute(part, "name") + "' of message '" + attribute(message, "name") +
                               "' has no element=: only document/literal messages are supported");
        }
        auto [ns, local] = resolve_qname(part, attribute(part, "element"));
        element = catalog_.schemas_.find_element(ns, local);
        if (!element) fail(file, part, "part element " + attribute(part, "element") + " is not in the schema");
      });
      if (parts > 1) fail(file, message, "message '" + attribute(message, "name") + "' has several parts: one is supported");
      messages_[name] = element;
    });
    each_child(root, kWsdl, "portType", [&](const xmlNode* port_type) {
      auto& operations = port_types_[qualified_name(tns, attribute(port_type, "name"))];
      each_child(port_type, kWsdl, "operation", [&](const xmlNode* operation) {
        PortTypeOperation entry;
        each_child(operation, kWsdl, "input", [&](const xmlNode* input) { entry.input = qname_at(input, "message"); });
        each_child(operation, kWsdl, "output", [&](const xmlNode* output) { entry.output = qname_at(output, "message"); });
        operations[attribute(operation, "name")] = entry;
      });
    });
    each_child(root, kWsdl, "binding", [&](const xmlNode* binding) { bindings_[qualified_name(tns, attribute(binding, "name"))] = binding; });
    each_child(root, kWsdl, "service", [&](const xmlNode* service) {
      catalog_.texts_.emplace_back(attribute(service, "name"), file.text);
      each_child(service, kWsdl, "port", [&](const xmlNode* port) { read_port(file, service, port); });
    });
  }

  void read_port(const LoadedFile& file, const xmlNode* service, const xmlNode* port) {
    std::string address;
    bool soap_port = false;
    for (auto* child = first_element_child(port); child; child = next_element(child->next)) {
      if (is_soap(child, "address")) {
        address = attribute(child, "location");
        soap_port = true;
      }
    }
    if (!soap_port) return;  // an HTTP GET/POST port, not SOAP
    auto found = bindings_.find(qname_at(port, "binding"));
    if (found == bindings_.end()) fail(file, port, "port '" + attribute(port, "name") + "' names an unknown binding");
    const xmlNode* binding = found->second;
    auto port_type = port_types_.find(qname_at(binding, "type"));
    if (port_type == port_types_.end()) fail(file, binding, "binding names an unknown portType");

    SoapVersion version = SoapVersion::soap11;
    std::string style = "document";
    for (auto* child = first_element_child(binding); child; child = next_element(child->next)) {
      if (is_soap(child, "binding")) {
        version = namespace_of(child) == kSoap12Binding ? SoapVersion::soap12 : SoapVersion::soap11;
        if (auto value = attribute(child, "style"); !value.empty()) style = value;
      }
    }
    each_child(binding, kWsdl, "operation", [&](const xmlNode* operation) {
      SoapOperation op;
      op.service = attribute(service, "name");
      op.port = attribute(port, "name");
      op.name = attribute(operation, "name");
      op.version = version;
      op.address = address;
      op.wsdl_file = file.path;
      std::string op_style = style;
      for (auto* child = first_element_child(operation); child; child = next_element(child->next)) {
        if (is_soap(child, "operation")) {
          op.action = attribute(child, "soapAction");
          if (auto value = attribute(child, "style"); !value.empty()) op_style = value;
        }
        if (is(child, kWsdl, "input") || is(child, kWsdl, "output")) {
          for (auto* body = first_element_child(child); body; body = next_element(body->next)) {
            if (is_soap(body, "body") && attribute(body, "use") == "encoded") {
              fail(file, body, "operation '" + op.name + "' is rpc/encoded (use=\"encoded\"): only document/literal is supported");
            }
          }
        }
      }
      if (op_style != "document") {
        fail(file, operation, "operation '" + op.name + "' has style=\"" + op_style + "\": only document/literal is supported");
      }
      auto messages = port_type->second.find(op.name);
      if (messages == port_type->second.end()) fail(file, operation, "operation '" + op.name + "' is not in the portType");
      op.input = element_of(file, operation, messages->second.input);
      if (!messages->second.output.empty()) op.output = element_of(file, operation, messages->second.output);
      if (!op.input) fail(file, operation, "operation '" + op.name + "' has no input message");
      catalog_.operations_.push_back(std::move(op));
    });
  }

  const ElementDecl* element_of(const LoadedFile& file, const xmlNode* node, const std::string& message) {
    if (message.empty()) return nullptr;
    auto found = messages_.find(message);
    if (found == messages_.end()) fail(file, node, "unknown message " + message);
    return found->second;
  }

  WsdlCatalog& catalog_;
  std::map<std::string, const ElementDecl*> messages_;
  std::map<std::string, std::map<std::string, PortTypeOperation>> port_types_;
  std::map<std::string, const xmlNode*> bindings_;
};

namespace {

LoadedFile parse_file(std::string path, std::string text) {
  XmlLimits limits;
  limits.max_bytes = 16 * 1024 * 1024;
  limits.max_depth = 256;
  auto parsed = parse_untrusted_xml(text, limits);
  if (!parsed.doc) throw WsdlError(path + ": " + parsed.error);
  return {std::move(path), std::move(text), std::move(parsed.doc)};
}

std::shared_ptr<const WsdlCatalog> build(std::vector<LoadedFile>& files, WsdlCatalog* catalog) {
  std::shared_ptr<const WsdlCatalog> owner(catalog);
  WsdlReader(*catalog).read(files);
  return owner;
}

}  // namespace

std::shared_ptr<const WsdlCatalog> WsdlCatalog::load(const std::vector<std::string>& paths) {
  std::vector<LoadedFile> files;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw WsdlError(path + ": cannot read the file");
    std::ostringstream text;
    text << in.rdbuf();
    files.push_back(parse_file(path, text.str()));
  }
  return build(files, new WsdlCatalog());
}

std::shared_ptr<const WsdlCatalog> WsdlCatalog::from_text(std::string_view wsdl, const std::string& origin) {
  std::vector<LoadedFile> files;
  files.push_back(parse_file(origin, std::string(wsdl)));
  return build(files, new WsdlCatalog());
}

const SoapOperation* WsdlCatalog::find(std::string_view service, std::string_view operation, SoapVersion version) const {
  const SoapOperation* any = nullptr;
  for (const auto& op : operations_) {
    if (op.service != service || op.name != operation) continue;
    if (op.version == version) return &op;
    if (!any) any = &op;
  }
  return any;
}

std::vector<const SoapOperation*> WsdlCatalog::operations(std::string_view service, SoapVersion version) const {
  std::vector<const SoapOperation*> found;
  for (const auto& op : operations_) {
    if (op.service == service && op.version == version) found.push_back(&op);
  }
  return found;
}

std::string WsdlCatalog::why_missing(std::string_view service, std::string_view operation) const {
  std::string names;
  bool service_known = false;
  for (const auto& op : operations_) {
    if (op.service != service) continue;
    service_known = true;
    if (names.find(op.name) == std::string::npos) names += (names.empty() ? "" : ", ") + op.name;
  }
  if (service_known) {
    return "no operation " + std::string(service) + "/" + std::string(operation) + " (operations of " +
           std::string(service) + ": " + names + ")";
  }
  for (const auto& [name, text] : texts_) {
    if (names.find(name) == std::string::npos) names += (names.empty() ? "" : ", ") + name;
  }
  return "no SOAP service " + std::string(service) + " (services: " + (names.empty() ? "none" : names) + ")";
}

const std::string* WsdlCatalog::wsdl_text(std::string_view service) const {
  for (const auto& [name, text] : texts_) {
    if (name == service) return &text;
  }
  return nullptr;
}

}  // namespace causeway::soap
