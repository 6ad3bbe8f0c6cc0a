#include "config/relative_paths.h"

#include <filesystem>

namespace causeway::config {

namespace {

namespace fs = std::filesystem;

void resolve(const fs::path& base, std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return;
  auto resolved = (base / path).lexically_normal();
  if (!resolved.has_filename()) resolved = resolved.parent_path();  // "dir/." is "dir", not "dir/"
  path = resolved.string();
}

void resolve(const fs::path& base, std::optional<FileSetting>& file) {
  if (file) resolve(base, file->path);
}

}  // namespace

void resolve_relative_paths(Config& config) {
  const fs::path base = fs::path(config.file).parent_path();
  if (base.empty()) return;
  for (auto& listener : config.listeners) {
    if (!listener.tls) continue;
    resolve(base, listener.tls->cert.path);
    resolve(base, listener.tls->key.path);
    resolve(base, listener.tls->client_ca);
  }
  for (auto& upstream : config.upstreams) {
    if (!upstream.tls) continue;
    resolve(base, upstream.tls->ca);
    resolve(base, upstream.tls->cert);
    resolve(base, upstream.tls->key);
  }
  if (config.soap) {
    for (auto& file : config.soap->files) resolve(base, file.path);
  }
  if (config.protos) {
    for (auto& file : config.protos->files) resolve(base, file.path);
    // protoc's default include path is the working directory; here it is the config's.
    if (config.protos->include.empty()) config.protos->include.push_back(".");
    for (auto& include : config.protos->include) resolve(base, include);
  }
}

}  // namespace causeway::config
