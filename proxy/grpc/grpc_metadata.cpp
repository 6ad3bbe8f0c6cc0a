#include "grpc/grpc_metadata.h"

#include <absl/strings/escaping.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace causeway::grpc {

namespace {

// Owned by the transport or by gRPC itself, or meaningless past one hop.
bool transport_owned(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kOwned{
      "content-type", "content-length", "te",      "host",       "connection", "keep-alive",
      "upgrade",      "trailer",        "trailers", "user-agent", "proxy-connection", "transfer-encoding"};
  return name.starts_with("grpc-") || name.starts_with(':') ||
         std::find(kOwned.begin(), kOwned.end(), name) != kOwned.end();
}

bool binary(std::string_view name) { return name.ends_with("-bin"); }

// gRPC's rules: names 0-9 a-z _ - . ; text values printable ASCII.
bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '-' || c == '.';
  });
}

bool valid_text(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

bridge::Headers headers_from_metadata(const std::multimap<::grpc::string_ref, ::grpc::string_ref>& metadata) {
  bridge::Headers headers;
  for (const auto& [key, value] : metadata) {
    const std::string_view name(key.data(), key.size());
    if (transport_owned(name)) continue;
    std::string text(value.data(), value.size());
    if (binary(name)) text = absl::Base64Escape(text);
    headers.push_back({std::string(name), std::move(text)});
  }
  return headers;
}

Metadata metadata_from_headers(const bridge::Headers& headers) {
  Metadata metadata;
  for (const auto& header : headers) {
    if (transport_owned(header.name) || !valid_name(header.name)) continue;
    if (binary(header.name)) {
      std::string bytes;
      if (!absl::Base64Unescape(header.value, &bytes)) continue;
      metadata.emplace_back(header.name, std::move(bytes));
    } else if (valid_text(header.value)) {
      metadata.emplace_back(header.name, header.value);
    }
  }
  return metadata;
}

}  // namespace causeway::grpc
