#pragma once
// The addresses the admin endpoint and the listeners bind, so a clash fails at load
// time instead of as EADDRINUSE at startup.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "config/config_node.h"

namespace causeway::config {

class AddressBook {
 public:
  // Fails at `at` when another owner binds the same port on the same host or on a
  // wildcard address; port 0 (the kernel picks one) never clashes.
  void claim(const Endpoint& endpoint, std::string owner, const ConfigNode& at);
  void add(const Endpoint& endpoint, std::string owner);

 private:
  struct Claim {
    Endpoint endpoint;
    std::string owner;
  };
  // By port, as only claims of one port can clash: a config with thousands of listeners
  // is not compared pairwise.
  std::unordered_map<std::uint16_t, std::vector<Claim>> claims_;
};

}  // namespace causeway::config
