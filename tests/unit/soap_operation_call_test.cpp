// What a SOAP service's answer says, as both callers of SOAP services read it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "soap/operation_call.h"
#include "soap/wsdl_catalog.h"

namespace causeway::soap {
namespace {

const SoapOperation& get_quote() {
  static auto catalog = WsdlCatalog::load({std::string(SOAP_EXAMPLES_DIR) + "/quotes.wsdl"});
  return *catalog->find("QuoteService", "GetQuote");
}

bridge::Response answer(int status, std::string body) {
  bridge::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string envelope11(const std::string& body) {
  return R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)" + body + "</s:Body></s:Envelope>";
}

TEST(SoapOperationCall, RequestCarriesTheVersionsContentTypeAndAction) {
  auto request = operation_request(get_quote(), "<e/>", "/quotes", {{"x-kafka-key", "k"}});
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/quotes");
  EXPECT_EQ(request.body, "<e/>");
  ASSERT_EQ(request.headers.size(), 3u);
  EXPECT_EQ(request.headers[0].name, "x-kafka-key");
  EXPECT_EQ(request.headers[1].value, "text/xml; charset=utf-8");
  EXPECT_EQ(request.headers[2].name, "soapaction");
  EXPECT_EQ(request.headers[2].value, "\"urn:example:quotes/GetQuote\"");
  EXPECT_FALSE(request.timeout.has_value());
}

TEST(SoapOperationCall, OutputFaultsAndOtherAnswersAreToldApart) {
  auto output = read_answer(
      answer(200, envelope11(R"(<q:GetQuoteResponse xmlns:q="urn:example:quotes"><q:symbol>ACME</q:symbol><q:price currency="EUR">12.5</q:price><q:note xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"/></q:GetQuoteResponse>)")),
      get_quote());
  ASSERT_EQ(output.kind, OperationAnswer::Kind::output) << output.error;
  EXPECT_EQ(output.output.at("symbol"), "ACME");
  EXPECT_EQ(output.output.at("price").at("#text"), 12.5);

  // A fault is a fault whatever the status it came with.
  for (int status : {500, 200}) {
    auto fault = read_answer(
        answer(status, envelope11("<s:Fault><faultcode>s:Client</faultcode><faultstring>no such symbol</faultstring></s:Fault>")),
        get_quote());
    ASSERT_EQ(fault.kind, OperationAnswer::Kind::fault) << status;
    EXPECT_EQ(fault.fault->side, FaultSide::client);
    EXPECT_EQ(fault.fault->reason, "no such symbol");
  }

  auto html = read_answer(answer(503, "<html>down</html>"), get_quote());
  EXPECT_EQ(html.kind, OperationAnswer::Kind::not_soap);
  auto empty_ok = read_answer(answer(200, ""), get_quote());
  EXPECT_EQ(empty_ok.kind, OperationAnswer::Kind::not_soap) << "an operation with output owes an envelope";
  auto unfit = read_answer(answer(200, envelope11(R"(<q:Other xmlns:q="urn:example:quotes"/>)")), get_quote());
  EXPECT_EQ(unfit.kind, OperationAnswer::Kind::unfit);
  EXPECT_FALSE(unfit.error.empty());
}

TEST(SoapOperationCall, AOneWayOperationsEmpty2xxIsItsOutput) {
  SoapOperation one_way = get_quote();
  one_way.output = nullptr;
  auto accepted = read_answer(answer(202, ""), one_way);
  EXPECT_EQ(accepted.kind, OperationAnswer::Kind::output);
  EXPECT_EQ(accepted.output, boost::json::object());
  EXPECT_EQ(read_answer(answer(500, ""), one_way).kind, OperationAnswer::Kind::not_soap);
}

}  // namespace
}  // namespace causeway::soap
