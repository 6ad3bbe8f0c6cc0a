#pragma once
// The running proxy: brokers, listeners and the admin endpoint for one config, started
// together and drained together on SIGTERM/SIGINT.

#include <memory>
#include <string>

#include "server/config_check.h"

namespace causeway::server {

struct BuildInfo {
  std::string version;
};

class Server {
 public:
  Server(CheckedConfig config, BuildInfo build);
  ~Server();

  // Starts everything, serves until SIGTERM or SIGINT, drains, and returns the exit
  // code. A second signal while draining exits at once. Throws if something cannot start.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it starts
// later, so run() can wait for them synchronously. Call in main() before any thread
// starts, and only to serve: a process that never waits for them could not be stopped.
void block_shutdown_signals();

}  // namespace causeway::server
