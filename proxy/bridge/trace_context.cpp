#include "bridge/trace_context.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <random>

namespace causeway::bridge {

namespace {

bool lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

// SplitMix64 (Steele, Lea, Flood 2014): ids need to be unlikely to collide, not secret,
// and a Mersenne Twister's state refills cost more than the rest of the id per request.
class IdBits {
 public:
  IdBits() : state_((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

// Two hex digits for each byte value: a table lookup per byte, not a shift and a compare
// per digit (this ran for every request, 48 digits each).
constexpr auto kHexPairs = [] {
  std::array<char, 512> pairs{};
  constexpr char digits[] = "0123456789abcdef";
  for (int byte = 0; byte < 256; ++byte) {
    pairs[2 * byte] = digits[byte >> 4];
    pairs[2 * byte + 1] = digits[byte & 0xF];
  }
  return pairs;
}();

// Random lowercase hex over `out` (an even count of digits), never all zeros (an
// all-zero id is invalid).
void random_hex(char* out, std::size_t digits) {
  thread_local IdBits engine;
  std::uint64_t any = 0;
  for (std::size_t i = 0; i < digits;) {
    std::uint64_t bits = engine.next();
    if (digits - i < 16) bits &= (std::uint64_t{1} << (4 * (digits - i))) - 1;  // only the digits written count
    any |= bits;
    for (int byte = 0; byte < 8 && i < digits; ++byte, i += 2, bits >>= 8) {
      std::memcpy(out + i, &kHexPairs[2 * (bits & 0xFF)], 2);
    }
  }
  if (any == 0) out[digits - 1] = '1';
}

}  // namespace

bool valid_traceparent(std::string_view text) {
  // version "-" trace-id(32) "-" parent-id(16) "-" flags(2); later versions may append "-..."
  if (text.size() < 55) return false;
  auto version = text.substr(0, 2);
  if (!lower_hex(version) || version == "ff") return false;
  if (version == "00" && text.size() != 55) return false;
  if (text.size() > 55 && text[55] != '-') return false;
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return false;
  auto trace_id = text.substr(3, 32), parent_id = text.substr(36, 16), flags = text.substr(53, 2);
  return lower_hex(trace_id) && lower_hex(parent_id) && lower_hex(flags) && !all_zero(trace_id) &&
         !all_zero(parent_id);
}

TraceContext continue_trace(const std::string* traceparent, const std::string* tracestate) {
  // "00-" trace-id(32) "-" parent-id(16) "-" flags(2), written in place: this runs per request.
  TraceContext context;
  context.traceparent.assign("00-................................-................-01");
  char* text = context.traceparent.data();
  if (traceparent && valid_traceparent(*traceparent)) {
    traceparent->copy(text + 3, 32, 3);
    traceparent->copy(text + 53, 2, 53);
    if (tracestate) context.tracestate = *tracestate;
  } else {
    random_hex(text + 3, 32);
  }
  random_hex(text + 36, 16);
  return context;
}

}  // namespace causeway::bridge
