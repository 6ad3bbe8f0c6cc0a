// SOAP over RabbitMQ, end to end: zeep calls a SOAP listener route whose target is an
// exchange, and a queue's messages call the spyne QuoteService; pika shows the wire.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_soap.h"
#include "rabbit_bridge_fixture.h"

namespace causeway::testing {
namespace {

const std::string kOrdersWsdl = std::string(SOURCE_DIR) + "/tests/integration/soap/orders.wsdl";

std::string with_wsdl(const std::string& wsdl, const std::string& config) {
  return "soap: { files: [" + wsdl + "] }\n" + config;
}

// PlaceOrder's output declares id and offset: an exchange's 202 data has an id and no offset.
TEST(RabbitSoap, ASoapCallBecomesAMessageOnTheExchangeAndAnUnroutableOneAFault) {
  bound_queue("orders-s", "orders-s.all", "placed");
  pika("ch.exchange_declare('orders-nowhere', 'topic', durable=True)\nprint('ok')");
  CausewayProcess causeway(with_wsdl(kOrdersWsdl, rabbit_config(
      "  - name: place-order\n"
      "    from: { listener: public, soap: { service: OrderService, operation: PlaceOrder } }\n"
      "    to: { broker: rabbit, exchange: orders-s, routing_key: placed }\n"
      "  - name: note-order\n"
      "    from: { listener: public, soap: { service: OrderService, operation: NoteOrder } }\n"
      "    to: { broker: rabbit, exchange: orders-nowhere, routing_key: noted }\n")));

  auto placed = zeep_call(causeway.listener(), "/orders", "OrderService", "OrderPort", "PlaceOrder",
                          R"({"item":"lamp","quantity":3})");
  ASSERT_TRUE(placed.as_object().contains("result")) << placed << "\n" << causeway.log();
  EXPECT_FALSE(placed.at("result").at("id").as_string().empty()) << placed;
  EXPECT_TRUE(placed.at("result").at("offset").is_null()) << placed;
  auto message = first_message("orders-s.all", {});
  EXPECT_EQ(boost::json::parse(message.at("body").as_string()), boost::json::parse(R"({"item":"lamp","quantity":3})"));
  EXPECT_EQ(message.at("key"), "placed");

  // No queue is bound for the one-way NoteOrder: the broker returns it, the caller hears a Server fault.
  auto unroutable = zeep_call(causeway.listener(), "/orders", "OrderService", "OrderPort", "NoteOrder",
                              R"({"item":"lamp","note":["fragile"]})");
  EXPECT_EQ(unroutable.at("code"), "soap:Server") << unroutable;
  const auto admin = causeway.admin();
  EXPECT_EQ(metric_now(admin, "causeway_requests_total", {{"route", "place-order"}, {"code", "202"}}), 1);
  EXPECT_EQ(metric_now(admin, "causeway_requests_total", {{"route", "note-order"}, {"code", "502"}}), 1);
  EXPECT_EQ(metric_now(admin, "causeway_soap_faults_total", {{"route", "note-order"}, {"direction", "listener"}}), 1);
}

TEST(RabbitSoap, AQueueCallsASpyneServiceAndClientFaultsAreDeadLettered) {
  SpyneQuotes spyne;
  TempDir dir;
  const auto wsdl = dir.write("quotes.wsdl", spyne.wsdl()).string();
  bound_queue("dlx-s", "dlx-s.all", "#");
  CausewayProcess causeway(with_wsdl(wsdl, rabbit_config(
      "  - name: quote-soap\n"
      "    from: { broker: rabbit, queue: quotes-s, bind: { exchange: quotes-x, routing_key: \"#\" } }\n"
      "    to: { upstream: legacy, soap: { service: QuoteService, operation: GetQuote } }\n"
      "    retry: { attempts: 3, backoff: 20ms, max_backoff: 100ms }\n"
      "    dead_letter: { exchange: dlx-s }\n",
      "", "upstreams:\n  legacy: { url: \"" + spyne.url() + "\", timeout: 10s }\n")));
  ASSERT_TRUE(causeway.wait_for_log("reading|consuming|queue", 10s)) << causeway.log();
  pika("for body in ['{\"symbol\":\"ACME\",\"days\":1}', '{\"symbol\":\"FAULT-CLIENT\"}']:\n"
       "  ch.basic_publish('quotes-x', 'q', body.encode())\n"
       "print('ok')");

  ASSERT_TRUE(spyne.wait_calls(2, 20s)) << causeway.log();
  auto letter = first_message("dlx-s.all", {"dlt-error", "dlt-attempts"});
  EXPECT_EQ(letter.at("body"), R"({"symbol":"FAULT-CLIENT"})");
  EXPECT_EQ(letter.at("dlt-attempts"), "1");
  EXPECT_NE(std::string(letter.at("dlt-error").as_string()).find("unknown symbol FAULT-CLIENT"), std::string::npos) << letter;
  const auto calls = spyne.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], boost::json::parse(R"({"operation":"GetQuote","symbol":"ACME","days":1})"));
  const MetricsPage::Labels success{{"route", "quote-soap"}, {"result", "success"}};
  EXPECT_EQ(metric_until(causeway.admin(), "causeway_deliveries_total", success, [](double v) { return v == 1; }, 10s), 1);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_deliveries_total", {{"route", "quote-soap"}, {"result", "dead_letter"}}), 1);
}

}  // namespace
}  // namespace causeway::testing
