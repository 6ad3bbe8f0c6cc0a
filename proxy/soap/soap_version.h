#pragma once
// The two SOAP versions: their envelope namespaces and content types.

#include <string_view>

namespace causeway::soap {

enum class SoapVersion { soap11, soap12 };

inline constexpr std::string_view kEnvelope11 = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kEnvelope12 = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

inline std::string_view envelope_namespace(SoapVersion version) {
  return version == SoapVersion::soap11 ? kEnvelope11 : kEnvelope12;
}
inline std::string_view content_type_of(SoapVersion version) {
  return version == SoapVersion::soap11 ? "text/xml; charset=utf-8" : "application/soap+xml; charset=utf-8";
}

}  // namespace causeway::soap
