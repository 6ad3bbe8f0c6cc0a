#include <gtest/gtest.h>

#include "kafka/kafka_client.h"
#include "kafka/kafka_producer.h"

namespace causeway::kafka {
namespace {

TEST(KafkaWireNames, TopicNameRule) {
  EXPECT_TRUE(valid_topic_name("orders.created"));
  EXPECT_TRUE(valid_topic_name("A-b_c.9"));
  EXPECT_FALSE(valid_topic_name(""));
  EXPECT_FALSE(valid_topic_name("."));
  EXPECT_FALSE(valid_topic_name(".."));
  EXPECT_FALSE(valid_topic_name("a/b"));
  EXPECT_FALSE(valid_topic_name(std::string(250, 'a')));
  EXPECT_TRUE(valid_topic_name(std::string(249, 'a')));
}

TEST(KafkaWireNames, ReplyPartitionIsDecimalOrFourBytesBigEndian) {
  EXPECT_EQ(encode_partition(258, config::WireHeaders::PartitionEncoding::decimal), "258");
  EXPECT_EQ(encode_partition(258, config::WireHeaders::PartitionEncoding::int32), std::string("\0\0\1\2", 4));
}

}  // namespace
}  // namespace causeway::kafka
