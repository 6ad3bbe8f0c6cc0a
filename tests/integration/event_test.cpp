// HTTP -> Kafka events: what the client is told and what lands on the topic.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "harness.h"

namespace causeway::testing {
namespace {

namespace json = boost::json;

const std::regex kTraceparent("^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$");

struct Accepted {
  std::string id;
  std::string topic;
  std::int64_t partition = -1;
  std::int64_t offset = -1;
};

// Checks the 202 body's shape; the test stops if it is not one.
Accepted accepted(const HttpResponse& response) {
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/json");
  auto body = response.json().as_object();
  return Accepted{json::value_to<std::string>(body.at("id")), json::value_to<std::string>(body.at("topic")),
                  body.at("partition").to_number<std::int64_t>(), body.at("offset").to_number<std::int64_t>()};
}

// The message at the place the 202 named; fails the test when it is not there.
KafkaMessage message_at(const std::string& bootstrap, const Accepted& where, std::size_t expected_on_topic = 1) {
  auto messages = TopicReader(bootstrap, where.topic).read(expected_on_topic);
  for (auto& message : messages) {
    if (message.partition == where.partition && message.offset == where.offset) return message;
  }
  ADD_FAILURE() << "no message at " << where.topic << "/" << where.partition << "@" << where.offset << " ("
                << messages.size() << " on the topic)";
  return {};
}

TEST(Event, AcceptedAfterAckAndTheMessageCarriesKeyBodyAndHeaders) {
  CausewayProcess causeway;
  auto response = http(causeway.listener(), "POST", "/orders/c42/events", {{"Content-Type", "application/json"}},
                       R"({"sku":"A1"})");
  auto where = accepted(response);
  EXPECT_EQ(where.topic, "orders.created");
  EXPECT_FALSE(where.id.empty());

  auto message = message_at(causeway.broker(), where);
  EXPECT_EQ(message.key, "c42");
  EXPECT_EQ(message.value, R"({"sku":"A1"})");
  EXPECT_EQ(message.header("correlation-id"), where.id);
  EXPECT_EQ(message.header("content-type"), "application/json");
  std::smatch trace;
  auto traceparent = message.header("traceparent").value_or("");
  ASSERT_TRUE(std::regex_match(traceparent, trace, kTraceparent)) << traceparent;
  EXPECT_NE(trace[1], std::string(32, '0'));
  EXPECT_NE(trace[2], std::string(16, '0'));
}

TEST(Event, ClientTraceparentKeepsItsTraceIdAndTracestate) {
  CausewayProcess causeway;
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto where = accepted(
      http(causeway.listener(), "POST", "/orders/c1/events",
           {{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}, {"tracestate", "congo=t61rcWkgMzE"}}, "{}"));

  auto message = message_at(causeway.broker(), where);
  std::smatch trace;
  auto traceparent = message.header("traceparent").value_or("");
  ASSERT_TRUE(std::regex_match(traceparent, trace, kTraceparent)) << traceparent;
  EXPECT_EQ(trace[1], trace_id);
  EXPECT_EQ(trace[3], "01") << "the sampled flag is kept";
  EXPECT_EQ(message.header("tracestate"), "congo=t61rcWkgMzE");
}

TEST(Event, InvalidClientTraceparentStartsANewTrace) {
  CausewayProcess causeway;
  auto where = accepted(http(causeway.listener(), "POST", "/orders/c1/events",
                             {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}, "{}"));

  auto traceparent = message_at(causeway.broker(), where).header("traceparent").value_or("");
  std::smatch trace;
  ASSERT_TRUE(std::regex_match(traceparent, trace, kTraceparent)) << traceparent;
  EXPECT_NE(trace[1], std::string(32, '0'));
}

TEST(Event, SameIdempotencyKeyGivesTheSameId) {
  CausewayProcess causeway;
  auto post = [&](const std::string& key) {
    return accepted(http(causeway.listener(), "POST", "/orders/c7/events", {{"Idempotency-Key", key}}, "{}"));
  };
  auto first = post("order-7-attempt");
  auto retry = post("order-7-attempt");
  auto other = post("order-8-attempt");
  EXPECT_EQ(first.id, retry.id);
  EXPECT_NE(first.id, other.id);

  // Whatever Causeway produced for the retry carries the same id, so consumers can drop it.
  for (const auto& message : TopicReader(causeway.broker(), "orders.created").read(2)) {
    if (message.header("correlation-id") != other.id) {
      EXPECT_EQ(message.header("correlation-id"), first.id);
    }
  }
}

TEST(Event, ClientCannotForgeTheHeadersCausewaySets) {
  CausewayProcess causeway;
  auto where = accepted(http(causeway.listener(), "POST", "/orders/c1/events",
                             {{"correlation-id", "forged"}, {"reply-to", "elsewhere"}}, "{}"));

  auto message = message_at(causeway.broker(), where);
  EXPECT_EQ(message.header_count("correlation-id"), 1u);
  EXPECT_EQ(message.header("correlation-id"), where.id);
  EXPECT_EQ(message.header("reply-to"), std::nullopt);
}

// RFC 9110 section 6.5.1: trailer fields must not be merged into the header section;
// here that would let a trailer, which a proxy in front may not even look at, set a
// route header or the correlation id after the head was checked.
TEST(Event, ChunkedTrailerFieldsDoNotBecomeMessageHeaders) {
  CausewayProcess causeway;
  HttpConnection connection(causeway.listener());
  ASSERT_TRUE(connection.send(
      "POST /orders/c1/events HTTP/1.1\r\nHost: causeway.test\r\nX-Tenant: acme\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\nX-Tenant: evil\r\nIdempotency-Key: from-trailer\r\n\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  if (response->status == 400) return;  // refusing trailers is as good as dropping them
  auto where = accepted(*response);
  auto with_that_key =
      accepted(http(causeway.listener(), "POST", "/orders/c1/events", {{"Idempotency-Key", "from-trailer"}}, "{}"));
  EXPECT_NE(where.id, with_that_key.id) << "the trailer's Idempotency-Key chose the correlation id";

  auto message = message_at(causeway.broker(), where, 2);
  EXPECT_EQ(message.value, "{}");
  EXPECT_EQ(message.header_count("x-tenant"), 1u);
  EXPECT_EQ(message.header("x-tenant"), "acme");
}

TEST(Event, RouteHeadersAreCopiedAndOthersAreNot) {
  CausewayProcess causeway;
  auto where = accepted(
      http(causeway.listener(), "POST", "/orders/c1/events", {{"X-Tenant", "acme"}, {"X-Other", "nope"}}, "{}"));

  auto message = message_at(causeway.broker(), where);
  EXPECT_EQ(message.header("x-tenant"), "acme");
  EXPECT_EQ(message.header("x-other"), std::nullopt);
}

TEST(Event, CloudEventsEnvelopeAddsCeHeaders) {
  TestConfig config;
  config.extra_routes = R"(  - name: audit
    from: { listener: public, method: POST, path: "/audit/{kind}" }
    to: { broker: events, topic: audit.events, key: "{kind}" }
    envelope: cloudevents
    cloudevents: { type: com.example.audit, source: /causeway/audit }
)";
  CausewayProcess causeway(config);
  auto where = accepted(
      http(causeway.listener(), "POST", "/audit/login", {{"Content-Type", "application/json"}}, R"({"user":"ann"})"));
  EXPECT_EQ(where.topic, "audit.events");

  auto message = message_at(causeway.broker(), where);
  EXPECT_EQ(message.key, "login");
  EXPECT_EQ(message.value, R"({"user":"ann"})");
  EXPECT_EQ(message.header("ce_specversion"), "1.0");
  EXPECT_EQ(message.header("ce_id"), where.id);
  EXPECT_EQ(message.header("ce_type"), "com.example.audit");
  EXPECT_EQ(message.header("ce_source"), "/causeway/audit");
  EXPECT_TRUE(std::regex_match(message.header("ce_time").value_or(""),
                               std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$)")))
      << message.header("ce_time").value_or("(none)");
  EXPECT_EQ(message.header("content-type"), "application/json");
}

TEST(Event, TopicNamedByThePathMustBeALegalKafkaName) {
  TestConfig config;
  config.extra_routes = R"(  - name: tenant-events
    from: { listener: public, method: POST, path: "/tenants/{tenant}/events" }
    to: { broker: events, topic: "tenant.{tenant}" }
)";
  CausewayProcess causeway(config);
  auto where = accepted(http(causeway.listener(), "POST", "/tenants/acme/events", {}, "{}"));
  EXPECT_EQ(where.topic, "tenant.acme");
  EXPECT_EQ(message_at(causeway.broker(), where).key, std::nullopt) << "the route has no key";

  auto illegal = http(causeway.listener(), "POST", "/tenants/a%21b/events", {}, "{}");
  EXPECT_EQ(illegal.status, 400) << illegal.body;
  EXPECT_EQ(illegal.error(), "bad_request") << illegal.body;
  EXPECT_EQ(scrape_metrics(causeway.admin()).value("causeway_produced_total", {{"topic", "tenant.a!b"}}), std::nullopt);
}

}  // namespace
}  // namespace causeway::testing
