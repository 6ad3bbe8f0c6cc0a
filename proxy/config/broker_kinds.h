#pragma once
// The broker kinds the loader knows, by `type:` value. Adapters register theirs once at
// start (main.cpp calls each adapter's register function), as Envoy registers
// factories by name: the loader never compares type strings of its own.

#include <string>
#include <vector>

#include "config/broker_settings.h"

namespace causeway::config {

// Adds (or replaces) the kind for kind.type. Not thread-safe: call before loading.
void register_broker_kind(BrokerKind kind);
// Null when no adapter registered that type.
const BrokerKind* find_broker_kind(const std::string& type);
// The registered types, sorted, for error messages.
std::vector<std::string> broker_kind_names();

}  // namespace causeway::config
