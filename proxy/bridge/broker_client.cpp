#include "bridge/broker_client.h"

#include <map>

namespace causeway::bridge {
namespace {

std::map<std::string, BrokerFactory>& factories() {
  static std::map<std::string, BrokerFactory> registered;
  return registered;
}

}  // namespace

void register_broker_factory(const std::string& type, BrokerFactory factory) { factories()[type] = std::move(factory); }

const BrokerFactory* find_broker_factory(const std::string& type) {
  auto found = factories().find(type);
  return found == factories().end() ? nullptr : &found->second;
}

}  // namespace causeway::bridge

namespace causeway::bridge {

std::unique_ptr<StreamSubscription> BrokerClient::subscribe(const StreamRequest& request,
                                                            std::shared_ptr<StreamReceiver>) {
  throw std::runtime_error("route '" + request.route + "': this broker does not serve streams");
}

}  // namespace causeway::bridge
