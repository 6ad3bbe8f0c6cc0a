#include "config/units.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <limits>
#include <utility>

namespace causeway::config {
namespace {

// "1.5" of "1.5MiB", kept as integers so that scaling it is exact.
struct Decimal {
  std::uint64_t whole = 0;
  std::uint64_t fraction = 0;  // the digits after the point, as an integer
  std::uint64_t scale = 1;     // 10 to the number of those digits
  std::string_view unit;       // what follows the number
};

constexpr int kMaxWholeDigits = 18;     // below 2^63 whatever the digits
constexpr int kMaxFractionDigits = 9;  // fraction * unit stays far below 2^63

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// digits[.digits] then the unit; nullopt for anything else ("", ".5", "1.", "-1").
std::optional<Decimal> split_decimal(std::string_view text) {
  Decimal number;
  std::size_t at = 0;
  for (; at < text.size() && is_digit(text[at]); ++at) {
    if (at == kMaxWholeDigits) return std::nullopt;
    number.whole = number.whole * 10 + static_cast<std::uint64_t>(text[at] - '0');
  }
  if (at == 0) return std::nullopt;
  if (at < text.size() && text[at] == '.') {
    const std::size_t first = ++at;
    for (; at < text.size() && is_digit(text[at]); ++at) {
      if (at - first == kMaxFractionDigits) return std::nullopt;
      number.fraction = number.fraction * 10 + static_cast<std::uint64_t>(text[at] - '0');
      number.scale *= 10;
    }
    if (at == first) return std::nullopt;
  }
  number.unit = text.substr(at);
  return number;
}

// number * factor, the fraction rounded half up or floored; nullopt past limit.
std::optional<std::uint64_t> scale_decimal(const Decimal& number, std::uint64_t factor, bool round, std::uint64_t limit) {
  std::uint64_t whole = 0;
  if (__builtin_mul_overflow(number.whole, factor, &whole)) return std::nullopt;
  std::uint64_t part = number.fraction * factor;
  part = round ? (part * 2 + number.scale) / (number.scale * 2) : part / number.scale;
  std::uint64_t total = 0;
  if (__builtin_add_overflow(whole, part, &total) || total > limit) return std::nullopt;
  return total;
}

template <std::size_t N>
std::optional<std::uint64_t> factor_of(std::string_view unit, const std::array<std::pair<std::string_view, std::uint64_t>, N>& units) {
  for (const auto& [name, factor] : units) {
    if (name == unit) return factor;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<std::string_view, std::uint64_t>, 4> kDurationUnits{{
    {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

constexpr std::uint64_t KiB = 1024;
constexpr std::array<std::pair<std::string_view, std::uint64_t>, 3> kBinaryUnits{{
    {"GiB", KiB * KiB * KiB}, {"MiB", KiB * KiB}, {"KiB", KiB}}};
constexpr std::array<std::pair<std::string_view, std::uint64_t>, 3> kDecimalUnits{{
    {"GB", 1'000'000'000}, {"MB", 1'000'000}, {"KB", 1'000}}};

bool is_ipv4(std::string_view host) {
  in_addr address{};
  return inet_pton(AF_INET, std::string(host).c_str(), &address) == 1;
}

bool is_ipv6(std::string_view host) {
  in6_addr address{};
  return inet_pton(AF_INET6, std::string(host).c_str(), &address) == 1;
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  bool numeric = true;
  for (const char c : host) {
    const bool alnum = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && c != '.' && c != '-' && c != '_') return false;
    numeric = numeric && (is_digit(c) || c == '.');
  }
  // "300.1.1.1" is no name; digits and dots must make an IPv4 address.
  return !numeric || is_ipv4(host);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t port = 0;
  for (const char c : text) {
    if (!is_digit(c)) return std::nullopt;
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  const std::optional<Decimal> number = split_decimal(text);
  if (!number) return std::nullopt;
  // A bare number is refused, even "0": nobody should have to guess the unit.
  const std::optional<std::uint64_t> factor = factor_of(number->unit, kDurationUnits);
  if (!factor) return std::nullopt;
  const auto limit = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
  const std::optional<std::uint64_t> millis = scale_decimal(*number, *factor, true, limit);
  if (!millis) return std::nullopt;
  return Duration(static_cast<Duration::rep>(*millis));
}

std::optional<std::size_t> parse_size(std::string_view text) {
  const std::optional<Decimal> number = split_decimal(text);
  if (!number) return std::nullopt;
  std::optional<std::uint64_t> factor = 1;
  if (!number->unit.empty()) {
    factor = factor_of(number->unit, kBinaryUnits);
    if (!factor) factor = factor_of(number->unit, kDecimalUnits);
  } else if (number->scale != 1) {
    return std::nullopt;  // "1.5" bytes
  }
  if (!factor) return std::nullopt;
  const std::optional<std::uint64_t> bytes = scale_decimal(*number, *factor, false, std::numeric_limits<std::size_t>::max());
  if (!bytes) return std::nullopt;
  return static_cast<std::size_t>(*bytes);
}

std::string format_duration(Duration duration) {
  const Duration::rep millis = duration.count();
  if (millis == 0) return "0s";
  for (const auto& [unit, factor] : kDurationUnits) {
    const auto size = static_cast<Duration::rep>(factor);
    if (millis % size == 0) return std::to_string(millis / size) + std::string(unit);
  }
  return std::to_string(millis) + "ms";  // not reached: every count divides by 1
}

std::string format_size(std::size_t bytes) {
  // Only binary units: "KB" reads as 1024 to many, so a decimal amount stays plain bytes.
  for (const auto& [unit, factor] : kBinaryUnits) {
    if (bytes != 0 && bytes % factor == 0) return std::to_string(bytes / factor) + std::string(unit);
  }
  return std::to_string(bytes);
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint endpoint;
  std::string_view port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    endpoint.host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(endpoint.host)) return std::nullopt;
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view host = text.substr(0, colon);
    if (!host.empty() && !is_host_name(host)) return std::nullopt;
    endpoint.host = host.empty() ? "0.0.0.0" : std::string(host);
    port = text.substr(colon + 1);
  }
  const std::optional<std::uint16_t> number = parse_port(port);
  if (!number) return std::nullopt;
  endpoint.port = *number;
  return endpoint;
}

}  // namespace causeway::config
