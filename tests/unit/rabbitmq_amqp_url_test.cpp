// amqp[s]:// URLs as RabbitMQ's URI spec writes them, and how they are shown.
#include <gtest/gtest.h>

#include "rabbitmq/amqp_url.h"

namespace causeway::rabbitmq {
namespace {

AmqpUrl parsed(const std::string& text) {
  std::string why;
  std::optional<AmqpUrl> url = parse_amqp_url(text, why);
  if (!url) throw std::runtime_error(text + ": " + why);
  return *url;
}

std::string why_not(const std::string& text) {
  std::string why;
  return parse_amqp_url(text, why) ? "(parsed)" : why;
}

TEST(AmqpUrl, PercentEscapesAreDecoded) {
  const AmqpUrl url = parsed("amqp://us%40er:p%3Ass@h:1234/%2f");
  EXPECT_EQ(url.user, "us@er");
  EXPECT_EQ(url.password, "p:ss");
  EXPECT_EQ(url.port, 1234);
  EXPECT_EQ(url.vhost, "/");
}

TEST(AmqpUrl, AnEmptyVhostIsTheDefaultOne) {
  EXPECT_EQ(parsed("amqp://h/").vhost, "/");
  EXPECT_EQ(parsed("amqp://h").vhost, "/");
  EXPECT_EQ(parsed("amqp://h/orders").vhost, "orders");
}

TEST(AmqpUrl, UserWithoutPasswordKeepsTheDefaultPassword) {
  const AmqpUrl url = parsed("amqp://app@h");
  EXPECT_EQ(url.user, "app");
  EXPECT_EQ(url.password, "guest");
}

TEST(AmqpUrl, Ipv6HostsAreBracketed) {
  const AmqpUrl url = parsed("amqp://[::1]:5673/%2f");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 5673);
  EXPECT_EQ(url.address(), "amqp://[::1]:5673/%2f");
}

TEST(AmqpUrl, AddressHasNoCredentialsAndRedactedHidesThePassword) {
  const AmqpUrl url = parsed("amqps://app:s3cret@rabbit:5671/%2f");
  EXPECT_EQ(url.address(), "amqps://rabbit:5671/%2f");
  EXPECT_EQ(url.redacted(), "amqps://app:<redacted>@rabbit:5671/%2f");
}

TEST(AmqpUrl, WhatIsNotAUrlSaysWhy) {
  EXPECT_EQ(why_not("amqp://"), "expected a host");
  EXPECT_EQ(why_not("amqp://h:/"), "expected a port from 1 to 65535");
  EXPECT_EQ(why_not("amqp://h:0"), "expected a port from 1 to 65535");
  EXPECT_EQ(why_not("amqp://[::1/"), "an IPv6 host needs its closing ']'");
  EXPECT_EQ(why_not("amqp://h/%zz"), "a bad %-escape in the vhost");
  EXPECT_EQ(why_not("amqp://a%2:b@h/"), "a bad %-escape in the user or password");
  EXPECT_EQ(why_not("amqp://h%20x/"), "expected a host name or an IP address");
  EXPECT_EQ(why_not("rabbit://h"), "expected a URL like amqp://guest:guest@127.0.0.1:5672/%2f (amqps:// for TLS)");
}

}  // namespace
}  // namespace causeway::rabbitmq
