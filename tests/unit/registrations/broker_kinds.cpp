// Test binaries load configs with brokers: the kinds main.cpp registers are registered
// here, before main runs, so that every test sees them.
#include "kafka/kafka_adapter.h"
#include "rabbitmq/rabbit_adapter.h"

namespace {
const bool registered = [] {
  causeway::kafka::register_kafka();
  causeway::rabbitmq::register_rabbitmq();
  return true;
}();
}  // namespace
