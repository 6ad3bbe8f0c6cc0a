#pragma once
// What a request to a SOAP listener is for, from its headers and its body's first
// element: the version, the action, and which of a path's operations it calls.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "soap/soap_version.h"

namespace causeway::soap {

struct SoapOperation;

struct SoapCall {
  SoapVersion version = SoapVersion::soap11;
  std::string action;  // SOAPAction (1.1) or the content type's action= (1.2), unquoted; may be empty
};

// text/xml is 1.1 (its action in SOAPAction), application/soap+xml 1.2; nullopt for
// any other content type.
std::optional<SoapCall> soap_call_of(std::string_view content_type, std::string_view soap_action_header);

// The operation whose soapAction is `action`, else the one whose input element is the
// body's first element ({ns}name); kNoOperation when none fits.
inline constexpr std::size_t kNoOperation = static_cast<std::size_t>(-1);
std::size_t pick_operation(const std::vector<const SoapOperation*>& operations, std::string_view action,
                           std::string_view body_ns, std::string_view body_name);

}  // namespace causeway::soap
