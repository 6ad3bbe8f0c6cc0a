#pragma once
// The addresses the admin endpoint and the listeners bind, so a clash fails at load
// time instead of as EADDRINUSE at startup.

#include <string>
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
  std::vector<Claim> claims_;
};

}  // namespace causeway::config
