#include "soap/wsdl_address.h"

#include <cctype>
#include <regex>

#include "soap/json_to_xml.h"

namespace causeway::soap {

std::string rewrite_addresses(std::string_view wsdl, std::string_view location) {
  // The WSDL was parsed at load: its address elements are well formed, any prefix.
  static const std::regex address(R"((<[A-Za-z_][\w.-]*:address\b[^>]*?\blocation\s*=\s*)(["'])[^"']*\2)");
  std::string escaped;
  append_escaped(escaped, location);
  std::string out;
  auto begin = std::cregex_iterator(wsdl.data(), wsdl.data() + wsdl.size(), address);
  const char* copied = wsdl.data();
  for (auto it = begin; it != std::cregex_iterator(); ++it) {
    const auto& match = *it;
    out.append(copied, match[0].first);
    out.append(match[1].first, match[1].second);
    out += '"';
    out += escaped;
    out += '"';
    copied = match[0].second;
  }
  out.append(copied, wsdl.data() + wsdl.size());
  return out;
}

bool plain_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (unsigned char c : host) {
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_')) return false;
  }
  return true;
}

}  // namespace causeway::soap
