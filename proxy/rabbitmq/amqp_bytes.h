#pragma once
// Between std::string and rabbitmq-c's amqp_bytes_t, which owns nothing it points to.

#include <amqp.h>

#include <string>

namespace causeway::rabbitmq {

// A copy: the library's pools are recycled between rounds of the I/O thread.
inline std::string text_of(const amqp_bytes_t& bytes) {
  return bytes.len == 0 ? std::string() : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

// The library's view of `text`, valid while it lives unchanged.
inline amqp_bytes_t bytes_of(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

}  // namespace causeway::rabbitmq
