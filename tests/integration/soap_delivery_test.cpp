// Topic -> SOAP service: each message's JSON value becomes a typed call of the spyne
// QuoteService; its output is the delivery's answer (and a reply's body), a Client
// fault dead-letters at once, a Server fault is retried and then dead-lettered.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_forward.h"
#include "harness_service.h"
#include "harness_soap.h"

namespace causeway::testing {
namespace {

constexpr const char* kRoute = "quotes-to-soap";
const MetricsPage::Labels kSuccess{{"route", kRoute}, {"result", "success"}};
const MetricsPage::Labels kRetry{{"route", kRoute}, {"result", "retry"}};
const MetricsPage::Labels kDeadLetter{{"route", kRoute}, {"result", "dead_letter"}};

// quotes.wanted (group quoter) -> QuoteService.GetQuote at `url`, 3 attempts, dead letters on quotes.dead.
std::string soap_delivery_config(const std::string& wsdl_file, const std::string& url,
                                 const std::string& target_extra = "") {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "soap: { files: [" + wsdl_file + "] }\n"
         "brokers:\n  events: { bootstrap: embedded, options: { linger.ms: 1 } }\n"
         "upstreams:\n  legacy: { url: \"" + url + "\", timeout: 10s }\n"
         "routes:\n"
         "  - name: " + kRoute + "\n"
         "    from: { broker: events, topic: quotes.wanted, group: quoter }\n"
         "    to: { upstream: legacy, soap: { service: QuoteService, operation: GetQuote }" + target_extra + " }\n"
         "    retry: { attempts: 3, backoff: 50ms, max_backoff: 200ms }\n"
         "    dead_letter: quotes.dead\n";
}

std::size_t calls_for(const std::vector<boost::json::value>& calls, const std::string& symbol) {
  return std::count_if(calls.begin(), calls.end(), [&](const auto& call) { return call.at("symbol") == symbol.c_str(); });
}

TEST(SoapDelivery, MessageBecomesATypedCallAndItsReplyCarriesTheOutput) {
  SpyneQuotes spyne;
  TempDir dir;
  const auto wsdl = dir.write("quotes.wsdl", spyne.wsdl()).string();
  CausewayProcess causeway(soap_delivery_config(wsdl, spyne.url()));
  TopicWriter writer(causeway.broker());
  writer.write("quotes.wanted", "acme", R"({"symbol":"ACME","days":2})",
               {{"correlation-id", "c-1"}, {"reply-to", "quotes.answers"}, {"content-type", "application/json"}});

  ASSERT_TRUE(spyne.wait_calls(1, 20s)) << causeway.log();
  EXPECT_EQ(spyne.calls().at(0), boost::json::parse(R"({"operation":"GetQuote","symbol":"ACME","days":2})"));
  auto replies = TopicReader(causeway.broker(), "quotes.answers").read(1);
  ASSERT_EQ(replies.size(), 1u) << causeway.log();
  EXPECT_EQ(replies[0].header("correlation-id"), "c-1");
  EXPECT_EQ(replies[0].header("status"), "200");
  EXPECT_EQ(replies[0].header("content-type"), "application/json");
  EXPECT_EQ(boost::json::parse(replies[0].value),
            boost::json::parse(R"({"GetQuoteResult":{"symbol":"ACME","price":12.5,"days":2,"history":{"double":[0.5,1.5]}}})"));
  const auto admin = causeway.admin();
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kSuccess, [](double v) { return v == 1; }, 10s), 1);
  EXPECT_EQ(metric_now(admin, "causeway_upstream_requests_total", {{"upstream", "legacy"}, {"code", "200"}}), 1);
}

TEST(SoapDelivery, ClientFaultsAndUnfitValuesAreDeadLetteredAtOnceServerFaultsAfterTheirAttempts) {
  SpyneQuotes spyne;
  TempDir dir;
  const auto wsdl = dir.write("quotes.wsdl", spyne.wsdl()).string();
  CausewayProcess causeway(soap_delivery_config(wsdl, spyne.url()));
  TopicWriter writer(causeway.broker());
  writer.send("quotes.wanted", "client", R"({"symbol":"FAULT-CLIENT"})");
  writer.send("quotes.wanted", "server", R"({"symbol":"FAULT-SERVER"})");
  writer.send("quotes.wanted", "unfit", R"({"symbol":"ACME","days":"two"})");
  writer.flush();

  auto dead = TopicReader(causeway.broker(), "quotes.dead").read(3, 30s);
  ASSERT_EQ(dead.size(), 3u) << causeway.log();
  std::map<std::string, KafkaMessage> by_key;
  for (auto& letter : dead) by_key[letter.key.value_or("")] = letter;
  const auto& client = by_key.at("client");
  EXPECT_EQ(client.value, R"({"symbol":"FAULT-CLIENT"})");
  EXPECT_EQ(client.header("dlt-attempts"), "1");
  EXPECT_NE(client.header("dlt-error").value_or("").find("400 from the service"), std::string::npos) << *client.header("dlt-error");
  EXPECT_NE(client.header("dlt-error").value_or("").find("unknown symbol FAULT-CLIENT"), std::string::npos) << *client.header("dlt-error");
  const auto& server = by_key.at("server");
  EXPECT_EQ(server.header("dlt-attempts"), "3");
  EXPECT_NE(server.header("dlt-error").value_or("").find("502 from the service"), std::string::npos) << *server.header("dlt-error");
  EXPECT_NE(server.header("dlt-error").value_or("").find("quote feed down"), std::string::npos) << *server.header("dlt-error");
  const auto& unfit = by_key.at("unfit");
  EXPECT_EQ(unfit.header("dlt-attempts"), "1");
  EXPECT_NE(unfit.header("dlt-error").value_or("").find("GetQuote.days: expected an integer"), std::string::npos)
      << *unfit.header("dlt-error");

  const auto calls = spyne.calls();
  EXPECT_EQ(calls_for(calls, "FAULT-CLIENT"), 1u);
  EXPECT_EQ(calls_for(calls, "FAULT-SERVER"), 3u);
  EXPECT_EQ(calls_for(calls, "ACME"), 0u) << "a value that does not fit the schema is not sent";
  const auto admin = causeway.admin();
  EXPECT_EQ(metric_until(admin, "causeway_deliveries_total", kDeadLetter, [](double v) { return v == 3; }, 10s), 3);
  EXPECT_EQ(metric_now(admin, "causeway_deliveries_total", kRetry), 2);
  EXPECT_EQ(metric_now(admin, "causeway_soap_faults_total", {{"route", kRoute}, {"direction", "upstream"}}), 4);
  EXPECT_EQ(metric_now(admin, "causeway_soap_errors_total", {{"route", kRoute}, {"direction", "request"}}), 1);
}

// The route's timeout bounds each call: a service slower than it is retried, then dead-lettered.
TEST(SoapDelivery, AServiceSlowerThanTheRouteTimeoutIsRetriedThenDeadLettered) {
  ScriptedService service([](const ServiceRequest&) { return ServiceAnswer{.delay = 3s}; });
  const auto wsdl = std::string(SOURCE_DIR) + "/config/examples/quotes.wsdl";
  CausewayProcess causeway(soap_delivery_config(wsdl, service.url(), ", timeout: 200ms"));
  TopicWriter writer(causeway.broker());
  writer.write("quotes.wanted", "slow", R"({"symbol":"ACME"})");

  auto dead = TopicReader(causeway.broker(), "quotes.dead").read(1, 30s);
  ASSERT_EQ(dead.size(), 1u) << causeway.log();
  EXPECT_EQ(dead[0].header("dlt-attempts"), "3");
  EXPECT_NE(dead[0].header("dlt-error").value_or("").find("200ms"), std::string::npos) << *dead[0].header("dlt-error");
  EXPECT_EQ(service.request_count(), 3u);
  const auto sent = service.requests().at(0);
  EXPECT_EQ(sent.target, "/quotes") << "the soap:address path of the WSDL's port";
  EXPECT_EQ(sent.header("soapaction"), "\"urn:example:quotes/GetQuote\"");
  EXPECT_EQ(sent.header("x-kafka-key"), "slow");
  EXPECT_NE(sent.body.find(R"(<GetQuote xmlns="urn:example:quotes"><symbol>ACME</symbol></GetQuote>)"), std::string::npos)
      << sent.body;
}

// A reload re-reads the WSDL files: a delivery whose file changed calls the operation as
// the new file describes it, even though its route did not change.
TEST(SoapDelivery, AReloadAfterTheWsdlChangedCallsTheOperationTheNewFileDescribes) {
  SpyneQuotes spyne;
  TempDir dir;
  const std::string original = spyne.wsdl();
  const auto wsdl = dir.write("quotes.wsdl", original).string();
  // On the embedded broker the handover to the new consumer takes about its 6 s session
  // (Causeway's default there; librdkafka's own 45 s would outlast the wait below).
  CausewayProcess causeway(soap_delivery_config(wsdl, spyne.url()));
  TopicWriter writer(causeway.broker());
  writer.write("quotes.wanted", "before", R"({"symbol":"ACME","days":2})");
  ASSERT_TRUE(spyne.wait_calls(1, 20s)) << causeway.log();

  // The edited file puts the operation's elements in a namespace the service does not
  // know: calls made from it are the service's Client faults, dead-lettered at once.
  std::string edited = original;
  for (std::size_t at = edited.find("urn:causeway:test:quotes"); at != std::string::npos;
       at = edited.find("urn:causeway:test:quotes", at)) {
    edited.replace(at, 24, "urn:causeway:test:edited");
  }
  ASSERT_NE(edited, original);
  dir.write("quotes.wsdl", edited);
  // Once the reload has answered, the old delivery has stopped and committed what it read:
  // a message written now is the new one's, and "before" does not come again.
  ASSERT_EQ(post_reload(causeway.admin()).status, 200) << causeway.log();
  writer.write("quotes.wanted", "after", R"({"symbol":"ACME","days":3})");

  auto dead = TopicReader(causeway.broker(), "quotes.dead").read(1, 30s);
  ASSERT_EQ(dead.size(), 1u) << causeway.log();
  EXPECT_EQ(dead[0].key, "after");
  EXPECT_EQ(dead[0].header("dlt-attempts"), "1");
  EXPECT_NE(dead[0].header("dlt-error").value_or("").find("urn:causeway:test:edited"), std::string::npos)
      << dead[0].header("dlt-error").value_or("");
  EXPECT_EQ(calls_for(spyne.calls(), "ACME"), 1u) << "only the call made from the original file succeeded";
  EXPECT_EQ(TopicReader(causeway.broker(), "quotes.dead").read(2, 3s).size(), 1u) << "nothing came twice";
}

}  // namespace
}  // namespace causeway::testing
