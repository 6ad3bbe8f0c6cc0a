#pragma once
// The RabbitMQ adapter's entry point: main.cpp calls it once at start, before the config
// is loaded, so that `type: rabbitmq` entries parse and get their clients.

namespace causeway::rabbitmq {

// Registers rabbit_kind() with the config loader and RabbitClient as the broker factory
// for "rabbitmq".
void register_rabbitmq();

}  // namespace causeway::rabbitmq
