#pragma once
// The data the dashboard page polls (/dashboard.json): per route its counters and latency
// buckets as running totals (the page turns two polls into rates and percentiles), lag per
// partition, stream clients, each broker's state, address and circuit breaker, pending
// replies, the last reload.

#include <optional>
#include <string>
#include <vector>

#include "admin/admin_handler.h"
#include "admin/exposition.h"
#include "config/config.h"

namespace causeway::admin {

// `readiness` is why the proxy cannot take traffic (nullopt when it can).
std::string dashboard_json(const config::Config& config, const RuntimeFacts& facts, const std::vector<Sample>& samples,
                           const std::optional<std::string>& readiness);

}  // namespace causeway::admin
