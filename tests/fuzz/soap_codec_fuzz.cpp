// SOAP envelopes from callers and upstreams: reading must never crash, and an envelope
// that reads as JSON must write back to an envelope that reads as the same JSON.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../unit/soap_test_wsdl.h"
#include "soap/message_codec.h"
#include "soap/wsdl_catalog.h"

namespace {

using namespace causeway::soap;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

const WsdlCatalog& catalog() {
  static const auto loaded = WsdlCatalog::from_text(testing::kOrdersWsdl, "orders.wsdl");
  return *loaded;
}

void round_trip(const ReadEnvelope& envelope, const ElementDecl& decl) {
  boost::json::value json;
  std::string error;
  if (!body_to_json(envelope, decl, json, error)) return;
  std::string written;
  check(json_to_envelope(json, decl, envelope.version, written, error));
  auto again = read_envelope(written);
  check(again.ok());
  boost::json::value json_again;
  check(body_to_json(again, decl, json_again, error));
  check(json_again == json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const SoapOperation& op = *catalog().find("OrderService", "PlaceOrder");
  auto envelope = read_envelope(input);
  if (envelope.ok() && !envelope.fault) {
    round_trip(envelope, *op.input);
    round_trip(envelope, *op.output);
  }
  return 0;
}
