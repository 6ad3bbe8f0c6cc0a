#pragma once
// The effective configuration and the routes as JSON for /config and /routes.

#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_handler.h"
#include "admin/exposition.h"
#include "config/config.h"

namespace causeway::admin {

// Every setting with its effective value (defaults filled in); secrets redacted.
std::string config_json(const config::Config& config, const RuntimeFacts& facts);

// Each route with what it connects and its live counts: requests by status for HTTP
// routes, delivery attempts by result for routes fed by a broker.
std::string routes_json(const config::Config& config, const std::vector<Sample>& samples);

// Whether a broker option holds a secret (passwords, tokens, private keys).
bool is_secret_option(std::string_view name);

}  // namespace causeway::admin
