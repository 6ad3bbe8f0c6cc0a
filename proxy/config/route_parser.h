#pragma once
// The routes section; needs the listeners and brokers already read, to check references.

#include <vector>

#include "config/config.h"
#include "config/config_node.h"

namespace causeway::config {

// Reads every route and checks the set: unique names, known listeners and brokers,
// captured template variables, no two routes on a listener matching the same requests.
std::vector<Route> parse_routes(const ConfigNode& node, const Config& config);

}  // namespace causeway::config
