#pragma once

namespace causeway::metrics {

class Registry;

// Adds the standard process_* metrics (cpu seconds, resident and virtual memory,
// open and max fds, start time, threads), read from /proc at scrape time.
void register_process_metrics(Registry& registry);

}  // namespace causeway::metrics
