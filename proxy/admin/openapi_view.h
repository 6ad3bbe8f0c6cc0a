#pragma once
// GET /openapi.json: the running config's HTTP routes as an OpenAPI 3.1 document. Paths
// with their variables, methods, the media types each mode takes and gives, and the
// statuses each mode can answer with (errors as {error,message,route}).

#include <string>

#include "admin/admin_handler.h"
#include "config/config.h"

namespace causeway::admin {

// Routes from gRPC listeners, and google.api.http bindings, are not described (their
// shapes live in the protos).
std::string openapi_json(const config::Config& config, const RuntimeFacts& facts);

}  // namespace causeway::admin
