#include <gtest/gtest.h>

#include "bridge/prefer.h"
#include "bridge/reply_message.h"

namespace causeway::bridge {
namespace {

InboundMessage message(Headers headers, std::string value) {
  InboundMessage inbound;
  inbound.topic = "quotes.replies";
  inbound.headers = std::move(headers);
  inbound.value = std::move(value);
  return inbound;
}

TEST(ReplyMessage, ReadsIdStatusAndHeaders) {
  auto reply = read_reply(message({{"correlation-id", "id-1"}, {"status", "409"}, {"Content-Type", "application/json"},
                                   {"X-Trace", "t"}},
                                  R"({"conflict":true})"),
                          {});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->correlation_id, "id-1");
  EXPECT_EQ(reply->response.status, 409);
  EXPECT_EQ(reply->response.body, R"({"conflict":true})");
  EXPECT_EQ(*find_header(reply->response.headers, "content-type"), "application/json");
  EXPECT_EQ(*find_header(reply->response.headers, "x-trace"), "t");
  EXPECT_EQ(find_header(reply->response.headers, "status"), nullptr);
}

TEST(ReplyMessage, DefaultsTo200AndUsesTheBrokersNames) {
  config::WireHeaders spring;
  spring.correlation_id = "kafka_correlationId";
  auto reply = read_reply(message({{"kafka_correlationId", "id-2"}}, "ok"), spring);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->correlation_id, "id-2");
  EXPECT_EQ(reply->response.status, 200);
  EXPECT_FALSE(read_reply(message({{"correlation-id", "id-2"}}, "ok"), spring));  // not its name
  EXPECT_FALSE(read_reply(message({}, "ok"), {}));
}

TEST(ReplyMessage, AnUnreadableStatusBecomes502) {
  for (std::string status : {"abc", "99", "600", "20x", ""}) {
    auto reply = read_reply(message({{"correlation-id", "id"}, {"status", status}}, "body"), {});
    ASSERT_TRUE(reply) << status;
    EXPECT_EQ(reply->response.status, 502) << status;
    EXPECT_EQ(reply->response.body,
              R"({"error":"bad_gateway","message":"the reply's status header is not an HTTP status"})");
  }
}

TEST(ReplyMessage, ShapeKeepsContentTypeAndListedHeaders) {
  Response reply{201, {{"content-type", "text/plain"}, {"x-a", "1"}, {"x-b", "2"}}, "made"};
  auto shaped = shape_reply(reply, {"x-b"});
  EXPECT_EQ(shaped.status, 201);
  EXPECT_EQ(shaped.body, "made");
  ASSERT_EQ(shaped.headers.size(), 2u);
  EXPECT_EQ(shaped.headers[0].name, "content-type");
  EXPECT_EQ(shaped.headers[1].name, "x-b");
}

TEST(Prefer, RespondAsyncAndWait) {
  auto both = read_preferences({{"prefer", "respond-async, wait=10"}});
  EXPECT_TRUE(both.respond_async);
  EXPECT_EQ(both.wait, std::chrono::seconds(10));
  auto split = read_preferences({{"prefer", "Respond-Async"}, {"prefer", "wait=\"3\";x=y"}});
  EXPECT_TRUE(split.respond_async);
  EXPECT_EQ(split.wait, std::chrono::seconds(3));
  auto none = read_preferences({{"prefer", "return=minimal, wait=-1, wait=abc"}, {"x-prefer", "respond-async"}});
  EXPECT_FALSE(none.respond_async);
  EXPECT_FALSE(none.wait.has_value());
}

}  // namespace
}  // namespace causeway::bridge
