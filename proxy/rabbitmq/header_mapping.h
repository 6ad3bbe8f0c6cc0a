#pragma once
// The RabbitMQ wire contract (DESIGN.md): the flows speak in headers named as on Kafka,
// AMQP carries some of them as basic properties. Both directions live here, so a
// message read and published again (a dead letter, a bridge) keeps its properties.
//
//   correlation-id, reply-to (the broker's wire names) <-> correlation_id, reply_to
//   content-type, content-encoding                      <-> content_type, content_encoding
//   amqp-message-id, amqp-timestamp, amqp-type,
//   amqp-app-id, amqp-priority                          <-> message_id, timestamp, type, app_id, priority
//   amqp-user-id, amqp-expiration, amqp-delivery-mode    <-  read only: the broker checks user_id against
//                                                          the connection, and a copy should not expire
//   anything else                                       <-> the headers table

#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/inbound_message.h"
#include "bridge/message_producer.h"
#include "config/config.h"
#include "rabbitmq/message_properties.h"

namespace causeway::rabbitmq {

inline constexpr std::string_view kOriginPrefix = "x-amqp-";  // x-amqp-exchange, -routing-key, -queue
inline constexpr std::uint8_t kPersistent = 2;

// What a message becomes on the wire: to_reply_address goes to the default exchange with
// the address as routing key; message_id is the correlation id, timestamp `now_seconds`,
// unless the message brings its own (amqp-message-id, amqp-timestamp); always persistent.
struct Publication {
  std::string exchange;
  std::string routing_key;
  MessageProperties properties;
  std::string body;
};
Publication to_publication(bridge::OutboundMessage message, const config::WireHeaders& wire, std::uint64_t now_seconds);

// Where a delivery came from.
struct Arrival {
  std::string exchange;
  std::string routing_key;
  std::string queue;
};
// topic = the queue, key = the routing key (none through the default exchange, where it
// only names the queue), origin = {exchange, routing-key, queue};
// properties first, then the table's headers.
bridge::InboundMessage to_inbound(MessageProperties properties, std::string body, const Arrival& arrival,
                                  const config::WireHeaders& wire);

}  // namespace causeway::rabbitmq
