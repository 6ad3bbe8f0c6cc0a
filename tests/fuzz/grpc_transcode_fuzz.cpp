// Bodies and query strings from REST callers: transcoding must never crash, and what it
// accepts must print back to JSON that reads again as the same JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "grpc/json_transcoding.h"
#include "grpc/proto_catalog.h"
#include "grpc/rest_transcoding.h"

namespace {

using namespace causeway::grpc;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

const ProtoCatalog& catalog() {
  // Imports from proto/ as a config's `include:` gives them: the compiled-in copies are
  // there only when the linker happened to keep their objects.
  static const auto loaded =
      ProtoCatalog::load({std::string(TEST_PROTO_DIR) + "/inventory.proto"}, {TEST_PROTO_DIR, CAUSEWAY_PROTO_DIR});
  return *loaded;
}

void round_trip(const MessageType& type, std::string_view json) {
  const Transcoded bytes = json_to_proto(type, json);
  check(bytes.ok() || bytes.data.empty());
  if (!bytes.ok()) return;
  const Transcoded printed = proto_to_json(type, bytes.data);
  check(printed.ok());
  const Transcoded again = json_to_proto(type, printed.data);
  check(again.ok());
  check(proto_to_json(type, again.data).data == printed.data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const RpcMethod& reserve = catalog().method("inventory.v1.Inventory/ReserveItem");
  round_trip(reserve.input, input);
  round_trip(catalog().method("inventory.v1.Inventory/GetItem").output, input);

  // The same bytes as a query string, as a body for one field, and as a protobuf message.
  RestRequest query;
  query.body_field = "";
  query.query = input;
  query.path_variables = {{"sku", std::string(input.substr(0, 16))}};
  const Transcoded from_query = rest_to_proto(reserve.input, query);
  check(from_query.ok() || from_query.data.empty());

  RestRequest order;
  order.body = input;
  order.body_field = "order";
  rest_to_proto(reserve.input, order);
  proto_to_json(reserve.output, input);
  proto_to_rest(catalog().method("inventory.v1.Inventory/ListItems").output, input, "items");
  return 0;
}
