#include "rabbitmq/rabbit_adapter.h"

#include "bridge/broker_client.h"
#include "config/broker_kinds.h"
#include "rabbitmq/rabbit_client.h"
#include "rabbitmq/rabbit_settings.h"

namespace causeway::rabbitmq {

void register_rabbitmq() {
  config::register_broker_kind(rabbit_kind());
  bridge::register_broker_factory("rabbitmq", [](const config::Broker& broker, const bridge::BrokerContext& context) {
    return std::shared_ptr<bridge::BrokerClient>(std::make_shared<RabbitClient>(broker, context.registry));
  });
}

}  // namespace causeway::rabbitmq
