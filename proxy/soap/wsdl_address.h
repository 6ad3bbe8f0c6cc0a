#pragma once
// The WSDL a SOAP listener serves on GET ?wsdl: its own, with every port's
// soap:address pointing at the listener the client reached.

#include <string>
#include <string_view>

namespace causeway::soap {

// `wsdl` with the location of each soap:address / soap12:address element replaced by
// `location` (escaped for an attribute).
std::string rewrite_addresses(std::string_view wsdl, std::string_view location);

// Whether a Host header value may be put in a URL as it is: host, IPv6 literal, port.
bool plain_host(std::string_view host);

}  // namespace causeway::soap
