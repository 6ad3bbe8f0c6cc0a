#pragma once
// Standard Webhooks signatures (standardwebhooks.com): a secret is "whsec_" followed by
// the base64 of the key; a signature is "v1," and the base64 of HMAC-SHA256(key,
// "<webhook-id>.<webhook-timestamp>.<body>"). OpenSSL does the arithmetic.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::webhooks {

// The key of a "whsec_<base64>" secret; nullopt when it is not one.
std::optional<std::string> secret_key(std::string_view secret);

// "v1,<base64>" for one key.
std::string sign(std::string_view key, std::string_view id, std::int64_t timestamp, std::string_view body);

// The webhook-signature header: one "v1,..." per secret, space-separated, so that a
// receiver holding either the old or the new secret verifies during a rotation.
// Secrets that are not whsec_ values are skipped (the config check refused them).
std::string signature_header(const std::vector<std::string>& secrets, std::string_view id, std::int64_t timestamp,
                             std::string_view body);

std::string base64(std::string_view bytes);

}  // namespace causeway::webhooks
