#pragma once
// Correlation ids: random per request, or derived from the client's Idempotency-Key
// so that a retried request carries the same id.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace causeway::bridge {

std::string new_correlation_id();  // UUID v4 text

// UUID v5 of route name and key: the same pair always gives the same id, routes never collide.
std::string correlation_id_for(std::string_view route, std::string_view idempotency_key);

// What a request with an Idempotency-Key stands for, so that a key reused for another
// request can be told from a retry (IETF Idempotency-Key draft: 422). SHA-1 based.
using RequestDigest = std::array<std::uint8_t, 16>;
RequestDigest request_digest(std::string_view method, std::string_view path, std::string_view query,
                             std::string_view body);

}  // namespace causeway::bridge
