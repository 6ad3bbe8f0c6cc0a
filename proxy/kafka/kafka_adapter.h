#pragma once
// Makes `type: kafka` known: its config keys and its client. Called once at start.

namespace causeway::kafka {

void register_kafka();

}  // namespace causeway::kafka
