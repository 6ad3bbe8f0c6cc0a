#include "rabbitmq/amqp_properties.h"

#include "rabbitmq/amqp_bytes.h"
#include "rabbitmq/field_text.h"

namespace causeway::rabbitmq {
namespace {

void read(const amqp_basic_properties_t& in, amqp_flags_t flag, const amqp_bytes_t& bytes,
          std::optional<std::string>& out) {
  if (in._flags & flag) out = text_of(bytes);
}

void write(amqp_basic_properties_t& out, amqp_flags_t flag, amqp_bytes_t& bytes, const std::optional<std::string>& in) {
  if (!in) return;
  out._flags |= flag;
  bytes = bytes_of(*in);
}

}  // namespace

MessageProperties read_properties(const amqp_basic_properties_t& in) {
  MessageProperties out;
  read(in, AMQP_BASIC_CONTENT_TYPE_FLAG, in.content_type, out.content_type);
  read(in, AMQP_BASIC_CONTENT_ENCODING_FLAG, in.content_encoding, out.content_encoding);
  read(in, AMQP_BASIC_CORRELATION_ID_FLAG, in.correlation_id, out.correlation_id);
  read(in, AMQP_BASIC_REPLY_TO_FLAG, in.reply_to, out.reply_to);
  read(in, AMQP_BASIC_EXPIRATION_FLAG, in.expiration, out.expiration);
  read(in, AMQP_BASIC_MESSAGE_ID_FLAG, in.message_id, out.message_id);
  read(in, AMQP_BASIC_TYPE_FLAG, in.type, out.type);
  read(in, AMQP_BASIC_USER_ID_FLAG, in.user_id, out.user_id);
  read(in, AMQP_BASIC_APP_ID_FLAG, in.app_id, out.app_id);
  if (in._flags & AMQP_BASIC_TIMESTAMP_FLAG) out.timestamp = in.timestamp;
  if (in._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) out.delivery_mode = in.delivery_mode;
  if (in._flags & AMQP_BASIC_PRIORITY_FLAG) out.priority = in.priority;
  if (in._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < in.headers.num_entries; ++i) {
      out.headers.push_back({text_of(in.headers.entries[i].key), field_text(in.headers.entries[i].value)});
    }
  }
  return out;
}

EncodedProperties::EncodedProperties(const MessageProperties& in) {
  write(basic_, AMQP_BASIC_CONTENT_TYPE_FLAG, basic_.content_type, in.content_type);
  write(basic_, AMQP_BASIC_CONTENT_ENCODING_FLAG, basic_.content_encoding, in.content_encoding);
  write(basic_, AMQP_BASIC_CORRELATION_ID_FLAG, basic_.correlation_id, in.correlation_id);
  write(basic_, AMQP_BASIC_REPLY_TO_FLAG, basic_.reply_to, in.reply_to);
  write(basic_, AMQP_BASIC_EXPIRATION_FLAG, basic_.expiration, in.expiration);
  write(basic_, AMQP_BASIC_MESSAGE_ID_FLAG, basic_.message_id, in.message_id);
  write(basic_, AMQP_BASIC_TYPE_FLAG, basic_.type, in.type);
  write(basic_, AMQP_BASIC_USER_ID_FLAG, basic_.user_id, in.user_id);
  write(basic_, AMQP_BASIC_APP_ID_FLAG, basic_.app_id, in.app_id);
  if (in.timestamp) {
    basic_._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
    basic_.timestamp = *in.timestamp;
  }
  if (in.delivery_mode) {
    basic_._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
    basic_.delivery_mode = *in.delivery_mode;
  }
  if (in.priority) {
    basic_._flags |= AMQP_BASIC_PRIORITY_FLAG;
    basic_.priority = *in.priority;
  }
  if (in.headers.empty()) return;
  entries_.reserve(in.headers.size());
  for (const bridge::Header& header : in.headers) {
    amqp_table_entry_t entry{};
    entry.key = bytes_of(header.name);
    entry.value.kind = AMQP_FIELD_KIND_UTF8;
    entry.value.value.bytes = bytes_of(header.value);
    entries_.push_back(entry);
  }
  basic_._flags |= AMQP_BASIC_HEADERS_FLAG;
  basic_.headers = amqp_table_t{static_cast<int>(entries_.size()), entries_.data()};
}

}  // namespace causeway::rabbitmq
