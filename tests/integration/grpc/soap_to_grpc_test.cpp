// SOAP listener routes to a gRPC upstream (SOAP -> gRPC), and to a SOAP upstream
// (SOAP -> SOAP): zeep (python3-zeep) as the SOAP client, the real Inventory gRPC
// service and spyne (python3-spyne) as the SOAP service behind Causeway.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "grpc_test_config.h"
#include "harness.h"
#include "harness_delivery.h"
#include "harness_soap.h"
#include "inventory_server.h"

namespace causeway::testing {
namespace {

const std::string kInventoryWsdl = std::string(SOURCE_DIR) + "/config/examples/inventory.wsdl";

// GetItem and ReserveItem of config/examples/inventory.wsdl on "public" (/inventory),
// each calling its rpc of the Inventory service at `address`.
std::string soap_to_grpc_config(const std::string& address) {
  return grpc_config("  inventory: { type: grpc, address: " + address + ", timeout: 10s }\n",
                     "  - name: soap-get-item\n"
                     "    from: { listener: public, soap: { service: InventoryService, operation: GetItem } }\n"
                     "    to: { upstream: inventory, rpc: inventory.v1.Inventory/GetItem }\n"
                     "  - name: soap-reserve\n"
                     "    from: { listener: public, soap: { service: InventoryService, operation: ReserveItem } }\n"
                     "    to: { upstream: inventory, rpc: inventory.v1.Inventory/ReserveItem }\n") +
         "soap: { files: [" + kInventoryWsdl + "] }\n";
}

std::string envelope11(const std::string& body) {
  return R"(<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)" + body +
         "</s:Body></s:Envelope>";
}

Headers soap11(const std::string& operation) {
  return {{"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "\"urn:example:inventory/" + operation + "\""}};
}

TEST(SoapToGrpc, ZeepCallsAGrpcServiceAndGetsEveryFieldOfTheResponseMessage) {
  InventoryServer inventory;
  CausewayProcess causeway(soap_to_grpc_config(inventory.address()));

  auto answer = zeep_call(causeway.listener(), "/inventory", "InventoryService", "InventoryPort", "GetItem",
                          R"({"sku":"A1","includeHistory":true})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  const auto& item = answer.at("result");
  EXPECT_EQ(item.at("sku"), "A1");
  EXPECT_EQ(item.at("name"), "Widget");
  EXPECT_EQ(item.at("quantity"), 3);
  EXPECT_EQ(item.at("tags"), boost::json::parse(R"(["blue"])"));
  // Fields at their proto3 default are answered too: the schema wants them, and the
  // int64 that ProtoJSON quotes ("0") is an xs:long again.
  EXPECT_EQ(item.at("color"), "COLOR_UNSPECIFIED");
  EXPECT_EQ(item.at("version"), 0);
  EXPECT_TRUE(item.at("price").is_null());

  ASSERT_TRUE(inventory.service().wait_calls(1, 5s));
  const auto call = inventory.service().calls().at(0);
  EXPECT_EQ(call.method, "GetItem");
  EXPECT_EQ(call.sku, "A1");
  EXPECT_TRUE(call.include_history);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "soap-get-item"}, {"code", "200"}}), 1);
}

TEST(SoapToGrpc, NestedAndRepeatedElementsFillTheRequestMessage) {
  InventoryServer inventory;
  CausewayProcess causeway(soap_to_grpc_config(inventory.address()));

  auto response = http(causeway.listener(), "POST", "/inventory", soap11("ReserveItem"),
                       envelope11(R"(<i:ReserveItem xmlns:i="urn:example:inventory"><i:sku>A1</i:sku>)"
                                  R"(<i:quantity>2</i:quantity><i:order><i:id>o1</i:id><i:customer>c1</i:customer>)"
                                  R"(<i:color>RED</i:color></i:order><i:lotIds>7</i:lotIds>)"
                                  R"(<i:lotIds>9007199254740993</i:lotIds></i:ReserveItem>)"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("content-type"), "text/xml; charset=utf-8");
  EXPECT_NE(response.body.find("<ReserveItemResponse xmlns=\"urn:example:inventory\"><id>r-A1</id><sku>A1</sku>"
                               "<quantity>2</quantity></ReserveItemResponse>"),
            std::string::npos)
      << response.body;
  ASSERT_TRUE(inventory.service().wait_calls(1, 5s));
  EXPECT_EQ(inventory.service().calls().at(0).quantity, 2);
}

TEST(SoapToGrpc, AGrpcErrorIsAFaultOfItsSideAndABadValueReachesNoService) {
  InventoryServer inventory;
  CausewayProcess causeway(soap_to_grpc_config(inventory.address()));

  // NOT_FOUND is a 404 to a REST caller: the caller's side, soap:Client, with the status message.
  auto fault = zeep_call(causeway.listener(), "/inventory", "InventoryService", "InventoryPort", "GetItem",
                         R"({"sku":"missing"})");
  ASSERT_TRUE(fault.as_object().contains("fault")) << fault;
  EXPECT_EQ(fault.at("fault"), "no item missing");
  EXPECT_NE(std::string(fault.at("code").as_string()).find("Client"), std::string::npos) << fault;

  // SOAP 1.2 keeps the status itself.
  auto soap12 = http(causeway.listener(), "POST", "/inventory",
                     {{"Content-Type", "application/soap+xml; charset=utf-8; action=\"urn:example:inventory/GetItem\""}},
                     R"(<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>)"
                     R"(<i:GetItem xmlns:i="urn:example:inventory"><i:sku>missing</i:sku></i:GetItem></e:Body></e:Envelope>)");
  EXPECT_EQ(soap12.status, 404) << soap12.body;
  EXPECT_NE(soap12.body.find("Sender"), std::string::npos) << soap12.body;

  const std::size_t called = inventory.service().calls().size();
  auto wrong = http(causeway.listener(), "POST", "/inventory", soap11("ReserveItem"),
                    envelope11(R"(<i:ReserveItem xmlns:i="urn:example:inventory"><i:sku>A1</i:sku>)"
                               R"(<i:quantity>lots</i:quantity></i:ReserveItem>)"));
  EXPECT_EQ(wrong.status, 500) << wrong.body;
  EXPECT_NE(wrong.body.find("soap:Client"), std::string::npos) << wrong.body;
  EXPECT_NE(wrong.body.find("ReserveItem.quantity"), std::string::npos) << wrong.body;
  EXPECT_EQ(inventory.service().calls().size(), called);
}

// `causeway validate` of `routes` with the inventory upstream and WSDL.
CommandResult validate(const std::string& routes) {
  TempDir dir;
  const auto file = dir.write("causeway.yaml", grpc_config("  inventory: { type: grpc, address: 127.0.0.1:1 }\n", routes) +
                                                   "soap: { files: [" + kInventoryWsdl + "] }\n");
  return run_command({CAUSEWAY_BIN, "validate", "--config", file.string()}, 30s);
}

TEST(SoapToGrpc, ValidateRefusesAStreamingRpcBehindASoapRoute) {
  auto result = validate("  - name: soap-watch\n"
                         "    from: { listener: public, soap: { service: InventoryService, operation: GetItem } }\n"
                         "    to: { upstream: inventory, rpc: inventory.v1.Inventory/WatchItem }\n");
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("inventory.v1.Inventory/WatchItem is a streaming method"), std::string::npos)
      << result.output;
}

// A google.api.http binding is a REST path like any other: it may not take a SOAP endpoint's requests.
TEST(SoapToGrpc, ValidateRefusesABindingOnASoapEndpointsPath) {
  auto result = validate("  - name: soap-get-item\n"
                         "    from: { listener: public, path: \"/v1/items/{sku}\", soap: { service: InventoryService, operation: GetItem } }\n"
                         "    to: { upstream: inventory, rpc: inventory.v1.Inventory/GetItem }\n"
                         "  - name: rest-items\n"
                         "    from: { listener: public }\n"
                         "    to: { upstream: inventory, rpc: inventory.v1.Inventory/GetItem }\n");
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("routes[1].to.rpc: binding GET /v1/items/{sku} of inventory.v1.Inventory/GetItem is the "
                               "SOAP endpoint of route 'soap-get-item'"),
            std::string::npos)
      << result.output;
}

// SOAP -> SOAP: a front for the spyne QuoteService on a path of its own, from its own
// WSDL: each envelope read by the schema and written again, here for a SOAP 1.2 caller
// of a service that speaks SOAP 1.1 only.
TEST(SoapToSoap, ASoap12CallerReachesASoap11ServiceThroughAFront) {
  SpyneQuotes spyne;
  TempDir dir;
  const auto wsdl = dir.write("quotes.wsdl", spyne.wsdl()).string();
  CausewayProcess causeway(
      "admin: { listen: 127.0.0.1:0 }\n"
      "soap: { files: [" + wsdl + "] }\n"
      "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
      "upstreams:\n  quotes: { url: \"" + spyne.url() + "\", timeout: 10s }\n"
      "routes:\n"
      "  - name: soap-front\n"
      "    from: { listener: public, path: /front, soap: { service: QuoteService, operation: GetQuote } }\n"
      "    to: { upstream: quotes, soap: { service: QuoteService, operation: GetQuote } }\n");

  auto answer = zeep_call(causeway.listener(), "/front", "QuoteService", "Application", "GetQuote",
                          R"({"symbol":"ACME","days":2})");
  ASSERT_TRUE(answer.as_object().contains("result")) << answer;
  EXPECT_EQ(answer.at("result").at("symbol"), "ACME");
  EXPECT_EQ(answer.at("result").at("days"), 2);

  auto soap12 = http(causeway.listener(), "POST", "/front",
                     {{"Content-Type", "application/soap+xml; charset=utf-8; action=\"GetQuote\""}},
                     R"(<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>)"
                     R"(<q:GetQuote xmlns:q="urn:causeway:test:quotes"><q:symbol>ACME</q:symbol><q:days>1</q:days>)"
                     R"(</q:GetQuote></e:Body></e:Envelope>)");
  ASSERT_EQ(soap12.status, 200) << soap12.body;
  EXPECT_EQ(soap12.header("content-type").value_or("").rfind("application/soap+xml", 0), 0u) << soap12.body;
  EXPECT_NE(soap12.body.find("http://www.w3.org/2003/05/soap-envelope"), std::string::npos) << soap12.body;
  EXPECT_NE(soap12.body.find("<symbol>ACME</symbol>"), std::string::npos) << soap12.body;

  // The service's fault reaches the caller as a fault of the same side.
  auto fault = zeep_call(causeway.listener(), "/front", "QuoteService", "Application", "GetQuote",
                         R"({"symbol":"FAULT-CLIENT"})");
  ASSERT_TRUE(fault.as_object().contains("fault")) << fault;
  EXPECT_EQ(fault.at("fault"), "unknown symbol FAULT-CLIENT");

  ASSERT_TRUE(spyne.wait_calls(3, 5s));
  EXPECT_EQ(spyne.calls().at(0), boost::json::parse(R"({"operation":"GetQuote","symbol":"ACME","days":2})"));
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "soap-front"}, {"code", "200"}}), 2);
}

}  // namespace
}  // namespace causeway::testing
