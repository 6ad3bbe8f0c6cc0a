#include "config/broker_kinds.h"

#include <map>

namespace causeway::config {
namespace {

std::map<std::string, BrokerKind>& kinds() {
  static std::map<std::string, BrokerKind> registered;
  return registered;
}

}  // namespace

void register_broker_kind(BrokerKind kind) {
  std::string type = kind.type;
  kinds()[type] = std::move(kind);
}

const BrokerKind* find_broker_kind(const std::string& type) {
  auto found = kinds().find(type);
  return found == kinds().end() ? nullptr : &found->second;
}

std::vector<std::string> broker_kind_names() {
  std::vector<std::string> names;
  for (const auto& [type, kind] : kinds()) names.push_back(type);
  return names;
}

}  // namespace causeway::config
