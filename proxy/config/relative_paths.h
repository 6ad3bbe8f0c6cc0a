#pragma once
// Relative file paths in a config (TLS files, protos and their include paths) are taken
// from the config file's directory, so a config works from whatever directory the proxy
// was started in.

#include "config/config.h"

namespace causeway::config {

// Rewrites each relative path as config.file's directory joined with it; a file without a
// directory part ("causeway.yaml") is in the working directory, so its paths stay as written.
void resolve_relative_paths(Config& config);

}  // namespace causeway::config
