#pragma once
// MessageProperties to and from rabbitmq-c's amqp_basic_properties_t.

#include <amqp.h>

#include <vector>

#include "rabbitmq/message_properties.h"

namespace causeway::rabbitmq {

// A copy, so the library's pool can be recycled right after.
MessageProperties read_properties(const amqp_basic_properties_t& properties);

// The library's view of `properties`, which it points into: keep both alive until
// amqp_basic_publish returned. Header values are long strings.
class EncodedProperties {
 public:
  explicit EncodedProperties(const MessageProperties& properties);
  EncodedProperties(const EncodedProperties&) = delete;
  EncodedProperties& operator=(const EncodedProperties&) = delete;
  const amqp_basic_properties_t* get() const { return &basic_; }

 private:
  amqp_basic_properties_t basic_{};
  std::vector<amqp_table_entry_t> entries_;
};

}  // namespace causeway::rabbitmq
