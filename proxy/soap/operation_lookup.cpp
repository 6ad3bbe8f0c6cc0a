#include "soap/operation_lookup.h"

#include "config/http_names.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {
namespace {

std::string_view unquote(std::string_view text) {
  text = config::trim_whitespace(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  return text;
}

}  // namespace

std::optional<SoapCall> soap_call_of(std::string_view content_type, std::string_view soap_action_header) {
  const auto semicolon = content_type.find(';');
  const std::string_view media = config::trim_whitespace(content_type.substr(0, semicolon));
  SoapCall call;
  if (config::same_name(media, "text/xml")) {
    call.action = unquote(soap_action_header);
    return call;
  }
  if (!config::same_name(media, "application/soap+xml")) return std::nullopt;
  call.version = SoapVersion::soap12;
  // Parameters: ; name=value or ; name="value" (a quoted value holds no ';' in practice).
  std::string_view rest = semicolon == std::string_view::npos ? std::string_view() : content_type.substr(semicolon + 1);
  while (!rest.empty()) {
    const auto next = rest.find(';');
    const std::string_view parameter = config::trim_whitespace(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const auto equals = parameter.find('=');
    if (equals != std::string_view::npos && config::same_name(config::trim_whitespace(parameter.substr(0, equals)), "action")) {
      call.action = unquote(parameter.substr(equals + 1));
    }
  }
  return call;
}

std::size_t pick_operation(const std::vector<const SoapOperation*>& operations, std::string_view action,
                           std::string_view body_ns, std::string_view body_name) {
  if (!action.empty()) {
    for (std::size_t i = 0; i < operations.size(); ++i) {
      if (operations[i]->action == action) return i;
    }
  }
  for (std::size_t i = 0; i < operations.size(); ++i) {
    const ElementDecl& input = *operations[i]->input;
    if (input.name == body_name && input.ns == body_ns) return i;
  }
  return kNoOperation;
}

}  // namespace causeway::soap
