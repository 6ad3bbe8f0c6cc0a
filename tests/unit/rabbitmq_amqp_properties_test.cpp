// MessageProperties through rabbitmq-c's own encoder and decoder, and table values as text.
#include <gtest/gtest.h>

#include <vector>

#include "rabbitmq/amqp_properties.h"
#include "rabbitmq/field_text.h"

namespace causeway::rabbitmq {
namespace {

amqp_field_value_t string_value(const char* text) {
  amqp_field_value_t value{};
  value.kind = AMQP_FIELD_KIND_UTF8;
  value.value.bytes = amqp_cstring_bytes(text);
  return value;
}

TEST(AmqpProperties, EveryPropertyAndHeaderRoundTripsThroughTheLibrary) {
  MessageProperties in;
  in.content_type = "application/json";
  in.content_encoding = "gzip";
  in.correlation_id = "c-1";
  in.reply_to = "replies";
  in.expiration = "1000";
  in.message_id = "m-1";
  in.timestamp = 1700000000;
  in.type = "t";
  in.user_id = "u";
  in.app_id = "a";
  in.delivery_mode = 2;
  in.priority = 3;
  in.headers = {{"traceparent", "00-x-y-01"}, {"binary", std::string("a\0b", 3)}};
  const EncodedProperties encoded(in);

  // The table as it goes on the wire, decoded again.
  std::vector<char> buffer(4096);
  amqp_bytes_t wire{buffer.size(), buffer.data()};
  std::size_t offset = 0;
  ASSERT_EQ(amqp_encode_table(wire, const_cast<amqp_table_t*>(&encoded.get()->headers), &offset), AMQP_STATUS_OK);
  amqp_pool_t pool;
  init_amqp_pool(&pool, 4096);
  amqp_basic_properties_t decoded = *encoded.get();
  std::size_t read = 0;
  ASSERT_EQ(amqp_decode_table(amqp_bytes_t{offset, buffer.data()}, &pool, &decoded.headers, &read), AMQP_STATUS_OK);
  const MessageProperties out = read_properties(decoded);
  empty_amqp_pool(&pool);

  EXPECT_EQ(out.content_type, in.content_type);
  EXPECT_EQ(out.content_encoding, in.content_encoding);
  EXPECT_EQ(out.correlation_id, in.correlation_id);
  EXPECT_EQ(out.reply_to, in.reply_to);
  EXPECT_EQ(out.expiration, in.expiration);
  EXPECT_EQ(out.message_id, in.message_id);
  EXPECT_EQ(out.timestamp, in.timestamp);
  EXPECT_EQ(out.type, in.type);
  EXPECT_EQ(out.user_id, in.user_id);
  EXPECT_EQ(out.app_id, in.app_id);
  EXPECT_EQ(out.delivery_mode, in.delivery_mode);
  EXPECT_EQ(out.priority, in.priority);
  ASSERT_EQ(out.headers.size(), 2u);
  EXPECT_EQ(out.headers[0].name, "traceparent");
  EXPECT_EQ(out.headers[0].value, "00-x-y-01");
  EXPECT_EQ(out.headers[1].value, std::string("a\0b", 3));
}

TEST(AmqpProperties, UnsetPropertiesStayUnset) {
  const EncodedProperties encoded(MessageProperties{});
  EXPECT_EQ(encoded.get()->_flags, 0);
  const MessageProperties out = read_properties(*encoded.get());
  EXPECT_FALSE(out.content_type.has_value());
  EXPECT_FALSE(out.timestamp.has_value());
  EXPECT_TRUE(out.headers.empty());
}

TEST(FieldText, ScalarsAreWrittenAsThemselves) {
  amqp_field_value_t value{};
  value.kind = AMQP_FIELD_KIND_I32;
  value.value.i32 = -201;
  EXPECT_EQ(field_text(value), "-201");
  value.kind = AMQP_FIELD_KIND_U64;
  value.value.u64 = 18446744073709551615ull;
  EXPECT_EQ(field_text(value), "18446744073709551615");
  value.kind = AMQP_FIELD_KIND_BOOLEAN;
  value.value.boolean = 1;
  EXPECT_EQ(field_text(value), "true");
  value.kind = AMQP_FIELD_KIND_F64;
  value.value.f64 = 1.5;
  EXPECT_EQ(field_text(value), "1.5");
  value.kind = AMQP_FIELD_KIND_DECIMAL;
  value.value.decimal = amqp_decimal_t{2, 5};
  EXPECT_EQ(field_text(value), "0.05");
  value.value.decimal = amqp_decimal_t{1, 12345};
  EXPECT_EQ(field_text(value), "1234.5");
  value.kind = AMQP_FIELD_KIND_TIMESTAMP;
  value.value.u64 = 1700000000;
  EXPECT_EQ(field_text(value), "1700000000");
  value.kind = AMQP_FIELD_KIND_VOID;
  EXPECT_EQ(field_text(value), "");
  EXPECT_EQ(field_text(string_value("plain")), "plain");
}

TEST(FieldText, XDeathIsJson) {
  // x-death: an array of tables, as RabbitMQ writes it for a dead-lettered message.
  amqp_table_entry_t entries[3] = {};
  entries[0].key = amqp_cstring_bytes("count");
  entries[0].value.kind = AMQP_FIELD_KIND_I64;
  entries[0].value.value.i64 = 2;
  entries[1].key = amqp_cstring_bytes("queue");
  entries[1].value = string_value("orders.handler");
  entries[2].key = amqp_cstring_bytes("routing-keys");
  amqp_field_value_t keys[1] = {string_value("created.\"7\"")};
  entries[2].value.kind = AMQP_FIELD_KIND_ARRAY;
  entries[2].value.value.array = amqp_array_t{1, keys};
  amqp_field_value_t death{};
  death.kind = AMQP_FIELD_KIND_TABLE;
  death.value.table = amqp_table_t{3, entries};
  amqp_field_value_t deaths{};
  deaths.kind = AMQP_FIELD_KIND_ARRAY;
  deaths.value.array = amqp_array_t{1, &death};
  EXPECT_EQ(field_text(deaths), R"([{"count":2,"queue":"orders.handler","routing-keys":["created.\"7\""]}])");
}

}  // namespace
}  // namespace causeway::rabbitmq
