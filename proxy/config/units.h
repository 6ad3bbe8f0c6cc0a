#pragma once
// Durations ("250ms", "5s", "1m", "1h", "1.5s") and sizes ("512", "64KiB", "1MiB", "1GiB").

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace causeway::config {

std::optional<Duration> parse_duration(std::string_view text);
std::optional<std::size_t> parse_size(std::string_view text);

std::string format_duration(Duration duration);  // shortest exact form: "1m", "250ms"
std::string format_size(std::size_t bytes);      // "64KiB", "1MiB", "1000"

// "host:port", "[v6]:port", ":port" (all interfaces); port 0 asks the kernel for one.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace causeway::config
