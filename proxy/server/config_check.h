#pragma once
// What `causeway validate` and startup check beyond the YAML itself: that librdkafka
// accepts every broker option. Nothing is started or connected.

#include <string>

#include "config/config.h"

namespace causeway::server {

// Throws config::ConfigError pointing at the refused option.
config::Config load_checked_config(const std::string& file);

}  // namespace causeway::server
