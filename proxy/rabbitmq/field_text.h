#pragma once
// AMQP field values as the flows' headers hold them: text. Scalars are written as
// themselves (strings as they are, numbers in decimal, booleans true/false, a timestamp
// as seconds); tables and arrays, such as RabbitMQ's x-death, as JSON, so a service or
// a dead letter gets all of it in one header.

#include <amqp.h>

#include <string>

namespace causeway::rabbitmq {

std::string field_text(const amqp_field_value_t& value);

}  // namespace causeway::rabbitmq
