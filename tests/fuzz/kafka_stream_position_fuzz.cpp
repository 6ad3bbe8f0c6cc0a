// SSE ids a client sends back as Last-Event-ID: any bytes must parse or be refused, and
// whatever parses must write back to an id that parses to the same offsets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kafka/stream_hub.h"

namespace {

using causeway::kafka::format_position;
using causeway::kafka::parse_position;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void round_trip(std::string_view id, std::string_view topic) {
  const auto next = parse_position(id, topic);
  if (!next) return;
  check(!next->empty());
  for (const auto& [partition, wanted] : *next) {
    check(partition >= 0 && wanted >= 0);
    // Each partition may be the one the id names the message of.
    const std::string again = format_position(topic, partition, wanted - 1, *next);
    check(parse_position(again, topic) == next);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view id(reinterpret_cast<const char*>(data), size);
  round_trip(id, "orders");
  // Any topic: the id's own first segment.
  round_trip(id, id.substr(0, id.find('/')));
  return 0;
}
