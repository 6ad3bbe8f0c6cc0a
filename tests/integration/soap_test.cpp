// SOAP routes against independent peers: a spyne service whose own generated WSDL
// Causeway loads, called by REST clients through Causeway.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "harness.h"
#include "harness_delivery.h"
#include "harness_service.h"
#include "harness_soap.h"

namespace causeway::testing {
namespace {

// REST POST /v1/quotes on "public" -> QuoteService.GetQuote of the spyne service.
std::string rest_to_soap_config(const std::string& wsdl_file, const std::string& url, const std::string& operation = "GetQuote") {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "soap: { files: [" + wsdl_file + "] }\n"
         "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
         "upstreams:\n  legacy: { url: \"" + url + "\", timeout: 10s }\n"
         "routes:\n"
         "  - name: rest-to-soap\n"
         "    from: { listener: public, method: POST, path: /v1/quotes }\n"
         "    to: { upstream: legacy, soap: { service: QuoteService, operation: " + operation + " } }\n";
}

const Headers kJson = {{"Content-Type", "application/json"}};

TEST(Soap, RestCallerGetsJsonFromASpyneService) {
  SpyneQuotes spyne;
  TempDir dir;
  const auto wsdl = dir.write("quotes.wsdl", spyne.wsdl()).string();
  CausewayProcess causeway(rest_to_soap_config(wsdl, spyne.url()));

  auto response = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"ACME","days":2})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.json(), boost::json::parse(R"({"GetQuoteResult":{"symbol":"ACME","price":12.5,"days":2,
                                                     "history":{"double":[0.5,1.5]}}})"));
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_requests_total", {{"route", "rest-to-soap"}, {"code", "200"}}), 1);
}

TEST(Soap, UpstreamFaultsBecomeTheStatusOfTheirCode) {
  SpyneQuotes spyne;
  TempDir dir;
  const auto wsdl = dir.write("quotes.wsdl", spyne.wsdl()).string();
  CausewayProcess causeway(rest_to_soap_config(wsdl, spyne.url()));

  auto client = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"FAULT-CLIENT"})");
  EXPECT_EQ(client.status, 400) << client.body;
  EXPECT_EQ(client.json().at("message"), "unknown symbol FAULT-CLIENT");
  EXPECT_EQ(client.json().at("route"), "rest-to-soap");
  auto server = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"FAULT-SERVER"})");
  EXPECT_EQ(server.status, 502) << server.body;
  EXPECT_EQ(server.json().at("message"), "quote feed down");
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_faults_total", {{"route", "rest-to-soap"}, {"direction", "upstream"}}), 2);
}

TEST(Soap, JsonThatDoesNotFitTheSchemaIs400NamingTheField) {
  SpyneQuotes spyne;
  TempDir dir;
  const auto wsdl = dir.write("quotes.wsdl", spyne.wsdl()).string();
  CausewayProcess causeway(rest_to_soap_config(wsdl, spyne.url()));

  auto wrong_type = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"ACME","days":"two"})");
  EXPECT_EQ(wrong_type.status, 400) << wrong_type.body;
  EXPECT_EQ(wrong_type.json().at("message"), "GetQuote.days: expected an integer");
  auto unknown = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"ACME","colour":"red"})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(unknown.json().at("message"), "GetQuote.colour: is not in the schema");
  auto not_json = http(causeway.listener(), "POST", "/v1/quotes", kJson, "<GetQuote/>");
  EXPECT_EQ(not_json.status, 400) << not_json.body;
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_errors_total", {{"route", "rest-to-soap"}, {"direction", "request"}}), 3);
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_upstream_requests_total", {{"upstream", "legacy"}}), 0);
}

TEST(Soap, Soap12ServiceIsCalledWithItsContentTypeAndSenderFaultsAre400) {
  SpyneQuotes spyne(true);
  TempDir dir;
  const auto wsdl = dir.write("quotes12.wsdl", spyne.wsdl()).string();
  CausewayProcess causeway(rest_to_soap_config(wsdl, spyne.url()));

  auto response = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"ACME","days":1})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json().at("GetQuoteResult").at("history"), boost::json::parse(R"({"double":[0.5]})"));
  auto fault = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"FAULT-CLIENT"})");
  EXPECT_EQ(fault.status, 400) << fault.body;
  EXPECT_EQ(fault.json().at("message"), "unknown symbol FAULT-CLIENT");
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_faults_total", {{"route", "rest-to-soap"}, {"direction", "upstream"}}), 1);
}

// A service answering hostile XML: entities are never expanded or loaded, the caller gets a 502.
TEST(Soap, HostileAnswersAreRefusedAndCounted) {
  const std::string laughs = R"(<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>&b;</e:Body></e:Envelope>)";
  const std::string xxe = R"(<?xml version="1.0"?><!DOCTYPE e [<!ENTITY p SYSTEM "file:///etc/passwd">]>
<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><q:GetQuoteResponse xmlns:q="urn:example:quotes"><q:symbol>&p;</q:symbol></q:GetQuoteResponse></e:Body></e:Envelope>)";
  std::string deep = R"(<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>)";
  for (int i = 0; i < 200; ++i) deep += "<a>";
  for (int i = 0; i < 200; ++i) deep += "</a>";
  deep += "</e:Body></e:Envelope>";
  const std::vector<std::string> answers = {laughs, xxe, deep};
  ScriptedService service([&](const ServiceRequest& request) {
    return ServiceAnswer{.status = 200, .body = answers[request.index % answers.size()],
                         .headers = {{"Content-Type", "text/xml"}}};
  });
  const auto wsdl = std::string(SOURCE_DIR) + "/config/examples/quotes.wsdl";
  CausewayProcess causeway(rest_to_soap_config(wsdl, service.url()));

  for (const char* why : {"DOCTYPE is not allowed", "DOCTYPE is not allowed", "nested deeper than 64"}) {
    auto response = http(causeway.listener(), "POST", "/v1/quotes", kJson, R"({"symbol":"ACME"})");
    EXPECT_EQ(response.status, 502) << response.body;
    EXPECT_NE(response.json().at("message").as_string().find(why), std::string::npos) << response.body;
    EXPECT_EQ(response.body.find("root:"), std::string::npos) << response.body;
  }
  EXPECT_EQ(metric_now(causeway.admin(), "causeway_soap_errors_total", {{"route", "rest-to-soap"}, {"direction", "response"}}), 3);
  // What the service got: the SOAP 1.1 port's envelope, action and path (its soap:address).
  const auto sent = service.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/quotes");
  EXPECT_EQ(sent.header("soapaction"), "\"urn:example:quotes/GetQuote\"");
  EXPECT_EQ(sent.header("content-type"), "text/xml; charset=utf-8");
  EXPECT_NE(sent.body.find(R"(<GetQuote xmlns="urn:example:quotes"><symbol>ACME</symbol></GetQuote>)"), std::string::npos)
      << sent.body;
}

TEST(Soap, ValidateNamesAnUnknownOperationAtItsLine) {
  TempDir dir;
  const auto wsdl = std::string(SOURCE_DIR) + "/config/examples/quotes.wsdl";
  const auto file = dir.write("soap.yaml", rest_to_soap_config(wsdl, "http://127.0.0.1:1", "GetQuotes")).string();
  auto result = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(file + ":10:35: routes[0].to.soap: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("no operation QuoteService/GetQuotes (operations of QuoteService: GetQuote)"),
            std::string::npos)
      << result.output;

  const auto rpc = dir.write("rpc.wsdl", "<definitions xmlns='http://schemas.xmlsoap.org/wsdl/'/>").string();
  const auto empty = dir.write("empty.yaml", rest_to_soap_config(rpc, "http://127.0.0.1:1")).string();
  auto missing = run_command({CAUSEWAY_BIN, "validate", empty});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("no SOAP service QuoteService (services: none)"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace causeway::testing
