#pragma once
// The Prefer request header (RFC 7240): respond-async and wait=N.

#include <chrono>
#include <optional>

#include "bridge/exchange.h"

namespace causeway::bridge {

struct Preferences {
  bool respond_async = false;
  std::optional<std::chrono::seconds> wait;
};

// Reads every Prefer header; unknown preferences are ignored, as the RFC asks.
Preferences read_preferences(const Headers& headers);

}  // namespace causeway::bridge
