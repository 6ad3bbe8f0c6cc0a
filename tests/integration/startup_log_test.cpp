// What a person sees at start: no warning for a config that is right.
#include <gtest/gtest.h>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_service.h"

namespace causeway::testing {
namespace {

// One option list serves producers and consumers alike (as config/examples/sidecar-b.yaml
// has it): each client is given only the options that apply to it, so librdkafka has
// nothing to warn about (it printed CONFWARN for fetch.wait.max.ms on every producer).
TEST(StartupLog, OneOptionListForProducersAndConsumersStartsWithoutConfigurationWarnings) {
  ScriptedService service;
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
      "brokers:\n  events: { bootstrap: embedded, options: { linger.ms: 1, fetch.wait.max.ms: 5, "
      "session.timeout.ms: 6000, acks: all } }\n"
      "upstreams:\n  svc: { url: \"" + service.url() + "\" }\n"
      "routes:\n"
      "  - name: order-created\n"
      "    from: { listener: public, method: POST, path: /orders }\n"
      "    to: { broker: events, topic: orders }\n"
      "  - name: quote\n"
      "    from: { listener: public, method: POST, path: /quotes }\n"
      "    to: { broker: events, topic: quotes, reply: quotes.replies, timeout: 5s }\n"
      "  - name: handle\n"
      "    from: { broker: events, topic: orders, group: handlers }\n"
      "    to: { upstream: svc, path: /orders }\n");
  ASSERT_TRUE(causeway.wait_for_log("route 'handle': assigned [1-9]", 20s)) << causeway.log();
  EXPECT_EQ(http(causeway.listener(), "POST", "/orders", {}, "{}").status, 202);
  ASSERT_TRUE(service.wait_requests(1, 20s)) << causeway.log();
  EXPECT_EQ(causeway.log().find("CONFWARN"), std::string::npos) << causeway.log();
}

}  // namespace
}  // namespace causeway::testing
