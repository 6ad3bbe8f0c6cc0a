#pragma once
// Correlation ids: random per request, or derived from the client's Idempotency-Key
// so that a retried request carries the same id.

#include <string>
#include <string_view>

namespace causeway::bridge {

std::string new_correlation_id();  // UUID v4 text

// UUID v5 of route name and key: the same pair always gives the same id, routes never collide.
std::string correlation_id_for(std::string_view route, std::string_view idempotency_key);

}  // namespace causeway::bridge
