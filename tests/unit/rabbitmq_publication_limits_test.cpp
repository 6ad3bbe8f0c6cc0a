// What AMQP cannot carry, caught before a message is written.
#include <gtest/gtest.h>

#include "rabbitmq/publication_limits.h"

namespace causeway::rabbitmq {
namespace {

TEST(PublicationLimits, WhatAmqpCannotCarryIsCaughtBeforeItIsWritten) {
  Publication fine;
  fine.exchange = "orders";
  fine.routing_key = "k";
  fine.properties.correlation_id = "c";
  fine.properties.headers = {{"traceparent", "00-1-2-01"}};
  EXPECT_EQ(oversize(fine, 131072), std::nullopt);

  Publication long_key = fine;
  long_key.routing_key = std::string(256, 'k');
  EXPECT_EQ(oversize(long_key, 131072), "the routing key is over 255 bytes");

  Publication long_id = fine;
  long_id.properties.correlation_id = std::string(300, 'c');
  EXPECT_EQ(oversize(long_id, 131072), "the correlation id is over 255 bytes");

  Publication big_headers = fine;
  big_headers.properties.headers.push_back({"x-big", std::string(200000, 'v')});
  ASSERT_TRUE(oversize(big_headers, 131072).has_value());
  EXPECT_NE(oversize(big_headers, 131072)->find("over the 131072 of one AMQP frame"), std::string::npos);

  Publication long_name = fine;
  long_name.properties.headers.push_back({std::string(256, 'n'), "v"});
  EXPECT_EQ(oversize(long_name, 131072), "a header name is over 255 bytes");
}

}  // namespace
}  // namespace causeway::rabbitmq
