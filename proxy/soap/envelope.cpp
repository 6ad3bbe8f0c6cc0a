#include "soap/envelope.h"

#include "soap/json_to_xml.h"

namespace causeway::soap {
namespace {

bool is_envelope_part(const xmlNode* node, std::string_view ns, const char* local) {
  return node && namespace_of(node) == ns && local_name(node) == local;
}

const xmlNode* child_named(const xmlNode* parent, std::string_view ns, const char* local) {
  for (auto* child = first_element_child(parent); child; child = next_element(child->next)) {
    if (namespace_of(child) == ns && local_name(child) == local) return child;
  }
  return nullptr;
}

// A child without namespace (1.1 faultcode, faultstring) by local name.
const xmlNode* plain_child(const xmlNode* parent, const char* local) {
  for (auto* child = first_element_child(parent); child; child = next_element(child->next)) {
    if (local_name(child) == local) return child;
  }
  return nullptr;
}

std::string trimmed(const std::string& text) { return std::string(trim_xml_space(text)); }

Fault read_fault(const xmlNode* fault, SoapVersion version) {
  Fault read;
  if (version == SoapVersion::soap11) {
    if (auto* code = plain_child(fault, "faultcode")) read.code = trimmed(element_text(code));
    if (auto* reason = plain_child(fault, "faultstring")) read.reason = trimmed(element_text(reason));
  } else {
    const auto ns = envelope_namespace(version);
    if (auto* code = child_named(fault, ns, "Code")) {
      if (auto* value = child_named(code, ns, "Value")) read.code = trimmed(element_text(value));
    }
    if (auto* reason = child_named(fault, ns, "Reason")) {
      if (auto* text = child_named(reason, ns, "Text")) read.reason = trimmed(element_text(text));
    }
  }
  const auto colon = read.code.rfind(':');
  const std::string local = colon == std::string::npos ? read.code : read.code.substr(colon + 1);
  // "Client.Authentication" style subcodes count as their class.
  read.side = local.starts_with("Client") || local.starts_with("Sender") ? FaultSide::client : FaultSide::server;
  return read;
}

}  // namespace

ReadEnvelope read_envelope(std::string_view text, const XmlLimits& limits) {
  ReadEnvelope envelope;
  auto parsed = parse_untrusted_xml(text, limits);
  if (!parsed.doc) {
    envelope.error = parsed.error;
    return envelope;
  }
  envelope.doc = std::move(parsed.doc);
  const xmlNode* root = xmlDocGetRootElement(envelope.doc.get());
  if (is_envelope_part(root, kEnvelope11, "Envelope")) {
    envelope.version = SoapVersion::soap11;
  } else if (is_envelope_part(root, kEnvelope12, "Envelope")) {
    envelope.version = SoapVersion::soap12;
  } else {
    envelope.error = "not a SOAP envelope (root element " + local_name(root) + ")";
    return envelope;
  }
  const auto ns = envelope_namespace(envelope.version);
  const xmlNode* body = child_named(root, ns, "Body");
  if (!body) {
    envelope.error = "SOAP envelope without a Body";
    return envelope;
  }
  const xmlNode* first = first_element_child(body);
  if (!first) {
    envelope.error = "SOAP Body without an element";
    return envelope;
  }
  if (is_envelope_part(first, ns, "Fault")) {
    envelope.fault = read_fault(first, envelope.version);
  } else {
    envelope.body_element = first;
  }
  return envelope;
}

std::string write_envelope(SoapVersion version, std::string_view body_xml) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"";
  xml += envelope_namespace(version);
  xml += "\" xmlns:xsi=\"";
  xml += kXsiNamespace;
  xml += "\"><soap:Body>";
  xml += body_xml;
  xml += "</soap:Body></soap:Envelope>";
  return xml;
}

std::string write_fault(SoapVersion version, FaultSide side, std::string_view reason) {
  std::string body = "<soap:Fault>";
  if (version == SoapVersion::soap11) {
    body += side == FaultSide::client ? "<faultcode>soap:Client</faultcode>" : "<faultcode>soap:Server</faultcode>";
    body += "<faultstring>";
    append_escaped(body, reason);
    body += "</faultstring>";
  } else {
    body += side == FaultSide::client ? "<soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code>"
                                      : "<soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>";
    body += "<soap:Reason><soap:Text xml:lang=\"en\">";
    append_escaped(body, reason);
    body += "</soap:Text></soap:Reason>";
  }
  body += "</soap:Fault>";
  return write_envelope(version, body);
}

}  // namespace causeway::soap
