#include "grpc/grpc_timeout.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <utility>

namespace causeway::grpc {

namespace {

constexpr std::int64_t kMaxDigits = 99'999'999;  // the wire format allows 8 digits
// Each unit, and how many of it make the next coarser one.
constexpr std::pair<char, std::int64_t> kUnits[] = {{'m', 1000}, {'S', 60}, {'M', 60}};

}  // namespace

std::string timeout_text(std::chrono::milliseconds timeout) {
  std::int64_t value = std::max<std::int64_t>(timeout.count(), 1);
  for (const auto& [unit, per_next] : kUnits) {
    if (value <= kMaxDigits) return std::to_string(value) + unit;
    value = (value + per_next - 1) / per_next;
  }
  return std::to_string(std::min(value, kMaxDigits)) + 'H';
}

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text) {
  if (text.size() < 2 || text.size() > 9) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text.data() + text.size() - 1;
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || value < 0) return std::nullopt;
  using namespace std::chrono;
  switch (text.back()) {
    case 'H': return duration_cast<milliseconds>(hours(value));
    case 'M': return duration_cast<milliseconds>(minutes(value));
    case 'S': return duration_cast<milliseconds>(seconds(value));
    case 'm': return milliseconds(value);
    case 'u': return ceil<milliseconds>(microseconds(value));
    case 'n': return ceil<milliseconds>(nanoseconds(value));
    default: return std::nullopt;
  }
}

}  // namespace causeway::grpc
