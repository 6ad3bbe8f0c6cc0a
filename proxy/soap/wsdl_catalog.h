#pragma once
// The SOAP operations Causeway knows, loaded once per config load from WSDL 1.1 files
// (document/literal, wrapped or bare with one element part) with their embedded
// xs:schema, and immutable afterwards so every thread may read it without locks.
// Loading throws WsdlError naming file:line; lookups on the data path return nullptr.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "soap/soap_version.h"
#include "soap/xml_schema.h"

namespace causeway::soap {

class WsdlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SoapOperation {
  std::string service;  // wsdl:service name
  std::string port;
  std::string name;     // wsdl:operation name
  std::string action;   // soapAction, may be empty
  SoapVersion version = SoapVersion::soap11;
  std::string address;  // soap:address location of the port
  const ElementDecl* input = nullptr;   // the body's element of a request
  const ElementDecl* output = nullptr;  // of a response; null for a one-way operation
  std::string wsdl_file;                // where it was declared (for ?wsdl)
};

class WsdlCatalog {
 public:
  static std::shared_ptr<const WsdlCatalog> load(const std::vector<std::string>& files);
  // The same from text, for tests and tools; `origin` names it in errors.
  static std::shared_ptr<const WsdlCatalog> from_text(std::string_view wsdl, const std::string& origin);

  // The operation of a service, preferring the port of `version` when there are several.
  const SoapOperation* find(std::string_view service, std::string_view operation,
                            SoapVersion version = SoapVersion::soap11) const;
  // For config errors: "no operation S/O (operations of S: A, B)" or "no service S (services: ...)".
  std::string why_missing(std::string_view service, std::string_view operation) const;
  // Operations of a service on ports of `version`, in declaration order.
  std::vector<const SoapOperation*> operations(std::string_view service, SoapVersion version) const;
  // The text of the file that declared `service`, as loaded.
  const std::string* wsdl_text(std::string_view service) const;

 private:
  WsdlCatalog() = default;
  SchemaSet schemas_;
  std::vector<SoapOperation> operations_;
  std::vector<std::pair<std::string, std::string>> texts_;  // service -> WSDL text
  friend class WsdlReader;
};

}  // namespace causeway::soap
