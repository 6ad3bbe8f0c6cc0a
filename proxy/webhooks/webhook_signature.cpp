#include "webhooks/webhook_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace causeway::webhooks {

namespace {
constexpr std::string_view kPrefix = "whsec_";
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::string> secret_key(std::string_view secret) {
  if (!secret.starts_with(kPrefix)) return std::nullopt;
  const std::string_view encoded = secret.substr(kPrefix.size());
  // EVP_DecodeBlock takes whole quads only and does not say how much padding it read.
  if (encoded.empty() || encoded.size() % 4 != 0) return std::nullopt;
  std::string key(encoded.size() / 4 * 3, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                                      reinterpret_cast<const unsigned char*>(encoded.data()),
                                      static_cast<int>(encoded.size()));
  if (written < 0) return std::nullopt;
  std::size_t padding = 0;
  if (encoded.ends_with("==")) {
    padding = 2;
  } else if (encoded.ends_with('=')) {
    padding = 1;
  }
  key.resize(static_cast<std::size_t>(written) - padding);
  if (key.empty()) return std::nullopt;
  return key;
}

std::string sign(std::string_view key, std::string_view id, std::int64_t timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), digest, &length);
  return "v1," + base64(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string signature_header(const std::vector<std::string>& secrets, std::string_view id, std::int64_t timestamp,
                             std::string_view body) {
  std::string header;
  for (const auto& secret : secrets) {
    const auto key = secret_key(secret);
    if (!key) continue;
    if (!header.empty()) header += ' ';
    header += sign(*key, id, timestamp, body);
  }
  return header;
}

}  // namespace causeway::webhooks
