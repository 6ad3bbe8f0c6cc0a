#include "config/address_book.h"

namespace causeway::config {
namespace {

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

bool overlaps(const Endpoint& a, const Endpoint& b) {
  if (a.port == 0 || a.port != b.port) return false;
  return a.host == b.host || is_wildcard(a.host) || is_wildcard(b.host);
}

}  // namespace

void AddressBook::claim(const Endpoint& endpoint, std::string owner, const ConfigNode& at) {
  if (endpoint.port == 0) return;  // the kernel picks a free port: nothing to claim
  for (const Claim& claim : claims_[endpoint.port]) {
    if (!overlaps(endpoint, claim.endpoint)) continue;
    std::string message = "address " + endpoint.text() + " is already used by " + claim.owner;
    if (claim.endpoint.host != endpoint.host) message += " (" + claim.endpoint.text() + ")";
    at.fail(std::move(message));
  }
  add(endpoint, std::move(owner));
}

void AddressBook::add(const Endpoint& endpoint, std::string owner) {
  claims_[endpoint.port].push_back(Claim{endpoint, std::move(owner)});
}

}  // namespace causeway::config
