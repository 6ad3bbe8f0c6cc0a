#pragma once
// GET /asyncapi.json: the running config's topics and queues as an AsyncAPI 3.0 document:
// a channel per topic (request, reply, dead-letter), an operation per route saying whether
// Causeway sends or receives there, and the wire headers each message carries under the
// broker's configured names.

#include <string>

#include "admin/admin_handler.h"
#include "config/config.h"

namespace causeway::admin {

std::string asyncapi_json(const config::Config& config, const RuntimeFacts& facts);

}  // namespace causeway::admin
