// basic.deliver and basic.return put together from their method, header and body frames.
#include <gtest/gtest.h>

#include "rabbitmq/content_assembler.h"

namespace causeway::rabbitmq {
namespace {

amqp_frame_t method(amqp_method_number_t id, void* decoded) {
  amqp_frame_t frame{};
  frame.frame_type = AMQP_FRAME_METHOD;
  frame.channel = 3;
  frame.payload.method.id = id;
  frame.payload.method.decoded = decoded;
  return frame;
}

amqp_frame_t header(amqp_basic_properties_t* properties, std::uint64_t body_size) {
  amqp_frame_t frame{};
  frame.frame_type = AMQP_FRAME_HEADER;
  frame.channel = 3;
  frame.payload.properties.class_id = AMQP_BASIC_CLASS;
  frame.payload.properties.body_size = body_size;
  frame.payload.properties.decoded = properties;
  return frame;
}

amqp_frame_t body(const char* text) {
  amqp_frame_t frame{};
  frame.frame_type = AMQP_FRAME_BODY;
  frame.channel = 3;
  frame.payload.body_fragment = amqp_cstring_bytes(text);
  return frame;
}

TEST(ContentAssembler, ADeliveryInSeveralBodyFrames) {
  amqp_basic_deliver_t deliver{amqp_cstring_bytes("ctag"), 17, 1, amqp_cstring_bytes("orders"),
                               amqp_cstring_bytes("created.1")};
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_CORRELATION_ID_FLAG;
  properties.correlation_id = amqp_cstring_bytes("c-1");
  ContentAssembler assembler;
  ASSERT_TRUE(assembler.start(method(AMQP_BASIC_DELIVER_METHOD, &deliver)));
  EXPECT_FALSE(assembler.add(header(&properties, 11)).has_value());
  EXPECT_FALSE(assembler.add(body("hello ")).has_value());
  const std::optional<ArrivedContent> whole = assembler.add(body("world"));
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->kind, ArrivedContent::Kind::delivery);
  EXPECT_EQ(whole->consumer_tag, "ctag");
  EXPECT_EQ(whole->delivery_tag, 17u);
  EXPECT_TRUE(whole->redelivered);
  EXPECT_EQ(whole->exchange, "orders");
  EXPECT_EQ(whole->routing_key, "created.1");
  EXPECT_EQ(whole->properties.correlation_id, "c-1");
  EXPECT_EQ(whole->body, "hello world");
  EXPECT_FALSE(assembler.add(body("stray")).has_value());
}

TEST(ContentAssembler, AnEmptyBodyIsWholeWithItsHeader) {
  amqp_basic_return_t returned{312, amqp_cstring_bytes("NO_ROUTE"), amqp_cstring_bytes("x"), amqp_cstring_bytes("k")};
  amqp_basic_properties_t properties{};
  ContentAssembler assembler;
  ASSERT_TRUE(assembler.start(method(AMQP_BASIC_RETURN_METHOD, &returned)));
  const std::optional<ArrivedContent> whole = assembler.add(header(&properties, 0));
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->kind, ArrivedContent::Kind::returned);
  EXPECT_EQ(whole->reply_code, 312);
  EXPECT_EQ(whole->reply_text, "NO_ROUTE");
  EXPECT_EQ(whole->exchange, "x");
  EXPECT_EQ(whole->routing_key, "k");
  EXPECT_TRUE(whole->body.empty());
}

TEST(ContentAssembler, OtherMethodsStartNothing) {
  amqp_basic_ack_t ack{1, 0};
  ContentAssembler assembler;
  EXPECT_FALSE(assembler.start(method(AMQP_BASIC_ACK_METHOD, &ack)));
  amqp_basic_properties_t properties{};
  EXPECT_FALSE(assembler.add(header(&properties, 0)).has_value());
}

}  // namespace
}  // namespace causeway::rabbitmq
