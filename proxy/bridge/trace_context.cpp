#include "bridge/trace_context.h"

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

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(digits, '0');
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = engine();
    out[i] = kDigits[bits & 0xF];
    bits >>= 4;
  }
  if (all_zero(out)) out.back() = '1';  // all-zero ids are invalid
  return out;
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
  TraceContext context;
  if (traceparent && valid_traceparent(*traceparent)) {
    context.traceparent = "00-" + traceparent->substr(3, 32) + "-" + random_hex(16) + "-" + traceparent->substr(53, 2);
    if (tracestate) context.tracestate = *tracestate;
  } else {
    context.traceparent = "00-" + random_hex(32) + "-" + random_hex(16) + "-01";
  }
  return context;
}

}  // namespace causeway::bridge
