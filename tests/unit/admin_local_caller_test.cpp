#include <gtest/gtest.h>

#include "admin/local_caller.h"

namespace causeway::admin {
namespace {

bridge::Request post(std::string host, std::optional<std::string> origin = std::nullopt) {
  bridge::Request request{"POST", "/reload", "", {{"host", std::move(host)}}, ""};
  if (origin) request.headers.push_back({"origin", std::move(*origin)});
  return request;
}

TEST(LocalCaller, LoopbackHostsWithoutAnOriginMayChangeState) {
  for (const char* host : {"127.0.0.1:9901", "127.0.0.1", "127.255.0.3:1", "localhost", "LocalHost:9901", "[::1]:9901",
                           "[::1]"}) {
    EXPECT_EQ(why_not_local(post(host), 9901), std::nullopt) << host;
  }
}

TEST(LocalCaller, OtherHostsAreRefused) {
  for (const char* host : {"evil.example", "evil.example:9901", "10.0.0.5:9901", "0.0.0.0:9901", "127.1:9901",
                           "127.0.0.1.evil.example", "localhost.evil.example:9901", "[::2]:9901", "[::1", "127.0.0.1:x",
                           "127.0.0.1:99999", ":9901", ""}) {
    auto why = why_not_local(post(host), 9901);
    ASSERT_TRUE(why) << host;
    EXPECT_EQ(*why, std::string("state changes need a loopback Host (localhost, 127.0.0.0/8, [::1]), got '") + host + "'");
  }
  bridge::Request no_host{"POST", "/reload", "", {}, ""};
  EXPECT_TRUE(why_not_local(no_host, 9901));
}

TEST(LocalCaller, OnlyTheListenersOwnOriginMayChangeState) {
  for (const char* origin : {"http://127.0.0.1:9901", "http://localhost:9901", "HTTP://LOCALHOST:9901",
                             "http://[::1]:9901", "http://127.0.0.2:9901"}) {
    EXPECT_EQ(why_not_local(post("127.0.0.1:9901", origin), 9901), std::nullopt) << origin;
  }
  EXPECT_EQ(why_not_local(post("localhost", "http://localhost"), 80), std::nullopt) << "port 80 by default";
  for (const char* origin : {"http://evil.example", "http://evil.example:9901", "http://127.0.0.1:3000",
                             "http://127.0.0.1", "https://127.0.0.1:9901", "null", "", "http://", "http://127.0.0.1:9901/",
                             "file://"}) {
    auto why = why_not_local(post("127.0.0.1:9901", origin), 9901);
    ASSERT_TRUE(why) << origin;
    EXPECT_EQ(*why, std::string("state changes are refused from another origin: '") + origin +
                        "' is not the admin listener's own (http://127.0.0.1:9901)");
  }
}

TEST(LocalCaller, PortOfABoundAddress) {
  EXPECT_EQ(port_of("127.0.0.1:9901"), 9901);
  EXPECT_EQ(port_of("[::1]:40711"), 40711);
  EXPECT_EQ(port_of("0.0.0.0"), std::nullopt);
}

}  // namespace
}  // namespace causeway::admin
