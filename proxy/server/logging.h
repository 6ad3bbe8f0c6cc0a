#pragma once

#include <string_view>

namespace causeway::server {

// Configures the default spdlog logger on stderr: level (trace, debug, info, warn,
// error, critical, off) and format ("text", or "json": one JSON object per line).
// Returns false for an unknown level or format.
bool setup_logging(std::string_view level, std::string_view format);

}  // namespace causeway::server
