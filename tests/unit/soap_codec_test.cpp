#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "soap/message_codec.h"
#include "soap/wsdl_catalog.h"
#include "soap_test_wsdl.h"

namespace causeway::soap {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

const WsdlCatalog& quotes() {
  static auto catalog = WsdlCatalog::load({std::string(SOAP_EXAMPLES_DIR) + "/quotes.wsdl"});
  return *catalog;
}
const WsdlCatalog& orders() {
  static auto catalog = WsdlCatalog::from_text(testing::kOrdersWsdl, "orders.wsdl");
  return *catalog;
}

struct Decoded {
  json::value json;
  std::string error;
};

Decoded decode(const std::string& envelope_text, const ElementDecl& decl) {
  Decoded decoded;
  auto envelope = read_envelope(envelope_text);
  if (!envelope.ok()) return {nullptr, envelope.error};
  body_to_json(envelope, decl, decoded.json, decoded.error);
  return decoded;
}

std::string encode(const std::string& json_text, const ElementDecl& decl, SoapVersion version, std::string& error) {
  std::string envelope;
  if (!json_to_envelope(json::parse(json_text), decl, version, envelope, error)) return {};
  return envelope;
}

constexpr const char* kResponse11 = R"(<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <s:Header/>
  <s:Body>
    <q:GetQuoteResponse xmlns:q="urn:example:quotes">
      <q:symbol>ACME</q:symbol>
      <q:price currency="EUR"> 12.5 </q:price>
      <q:history>11</q:history><q:history>12.25</q:history>
      <q:note xsi:nil="true"/>
    </q:GetQuoteResponse>
  </s:Body>
</s:Envelope>)";

TEST(SoapCodec, EnvelopeBecomesTheJsonOfItsElement) {
  const auto& op = *quotes().find("QuoteService", "GetQuote");
  auto decoded = decode(kResponse11, *op.output);
  ASSERT_EQ(decoded.error, "");
  EXPECT_EQ(decoded.json, json::parse(R"({"symbol":"ACME","price":{"@currency":"EUR","#text":12.5},
                                          "history":[11.0,12.25],"note":null})"));
}

TEST(SoapCodec, JsonBecomesAnEnvelopeThatReadsBack) {
  for (auto version : {SoapVersion::soap11, SoapVersion::soap12}) {
    const auto& op = *quotes().find("QuoteService", "GetQuote", version);
    std::string error;
    const std::string envelope = encode(R"({"realtime":true,"symbol":"A&B","days":7})", *op.input, version, error);
    ASSERT_EQ(error, "");
    EXPECT_THAT(envelope, HasSubstr(std::string(envelope_namespace(version))));
    // Schema order, not JSON order; text escaped.
    EXPECT_THAT(envelope, HasSubstr(R"(<GetQuote xmlns="urn:example:quotes"><symbol>A&amp;B</symbol><days>7</days>)"
                                    R"(<realtime>true</realtime></GetQuote>)"));
    auto decoded = decode(envelope, *op.input);
    ASSERT_EQ(decoded.error, "");
    EXPECT_EQ(decoded.json, json::parse(R"({"symbol":"A&B","days":7,"realtime":true})"));
  }
}

TEST(SoapCodec, UnqualifiedChildrenRepeatedObjectsAndAttributesRoundTrip) {
  const auto& op = *orders().find("OrderService", "PlaceOrder");
  std::string error;
  const auto text = R"({"@priority":2,"customer":"c1","line":[{"sku":"a","quantity":1},{"sku":"b","quantity":3}]})";
  const std::string envelope = encode(text, *op.input, SoapVersion::soap11, error);
  ASSERT_EQ(error, "");
  EXPECT_THAT(envelope, HasSubstr(R"(<PlaceOrder xmlns="urn:orders" priority="2"><customer xmlns="">c1</customer>)"));
  auto decoded = decode(envelope, *op.input);
  ASSERT_EQ(decoded.error, "");
  EXPECT_EQ(decoded.json, json::parse(text));
}

TEST(SoapCodec, JsonThatDoesNotFitNamesTheField) {
  const auto& op = *orders().find("OrderService", "PlaceOrder");
  std::string error;
  encode(R"({"customer":"c","line":[],"colour":"red"})", *op.input, SoapVersion::soap11, error);
  EXPECT_EQ(error, "PlaceOrder.colour: is not in the schema");
  encode(R"({"customer":"c","line":[{"sku":"a","quantity":"many"}]})", *op.input, SoapVersion::soap11, error);
  EXPECT_EQ(error, "PlaceOrder.line[0].quantity: expected an integer");
  encode(R"({"customer":7,"line":[]})", *op.input, SoapVersion::soap11, error);
  EXPECT_EQ(error, "PlaceOrder.customer: expected a string");
  encode(R"({"line":[]})", *op.input, SoapVersion::soap11, error);
  EXPECT_EQ(error, "PlaceOrder.customer: is required but missing");
  encode(R"({"customer":"c","line":{"sku":"a","quantity":1}})", *op.input, SoapVersion::soap11, error);
  EXPECT_EQ(error, "PlaceOrder.line: expected an array");
  encode(R"({"customer":null,"line":[]})", *op.input, SoapVersion::soap11, error);
  EXPECT_EQ(error, "PlaceOrder.customer: is null but not nillable");
  encode(R"([1])", *op.input, SoapVersion::soap11, error);
  EXPECT_EQ(error, "PlaceOrder: expected an object");
}

// A service's answer may quote its numbers (ProtoJSON's int64); a caller's JSON may not.
TEST(SoapCodec, QuotedNumbersFitOnlyWhenAccepted) {
  const auto& op = *quotes().find("QuoteService", "GetQuote");
  const auto answer = json::parse(R"({"symbol":"ACME","price":{"#text":"12.5","@currency":"EUR"},"history":["11","-1e3"],"note":null})");
  std::string envelope, error;
  ASSERT_TRUE(json_to_envelope(answer, *op.output, SoapVersion::soap11, envelope, error, NumberText::accepted)) << error;
  EXPECT_THAT(envelope, HasSubstr("<price currency=\"EUR\">12.5</price><history>11</history><history>-1e3</history>"));
  EXPECT_FALSE(json_to_envelope(answer, *op.output, SoapVersion::soap11, envelope, error));
  EXPECT_EQ(error, "GetQuoteResponse.price.#text: expected a number");
  for (const char* bad : {R"("12,5")", R"("NaN")", R"("1e400")", R"("")", R"(" 1")"}) {
    const auto unfit = json::parse(std::string(R"({"symbol":"A","note":null,"price":{"#text":)") + bad + "}}");
    EXPECT_FALSE(json_to_envelope(unfit, *op.output, SoapVersion::soap11, envelope, error, NumberText::accepted)) << bad;
    EXPECT_EQ(error, "GetQuoteResponse.price.#text: expected a number") << bad;
  }
  const auto& input = *quotes().find("QuoteService", "GetQuote")->input;
  EXPECT_TRUE(json_to_envelope(json::parse(R"({"symbol":"A","days":"-12"})"), input, SoapVersion::soap11, envelope,
                               error, NumberText::accepted)) << error;
  for (const char* bad : {R"("1.5")", R"("+1")", R"("-")", R"("123456789012345678901")"}) {
    const auto unfit = json::parse(std::string(R"({"symbol":"A","days":)") + bad + "}");
    EXPECT_FALSE(json_to_envelope(unfit, input, SoapVersion::soap11, envelope, error, NumberText::accepted)) << bad;
    EXPECT_EQ(error, "GetQuote.days: expected an integer") << bad;
  }
}

TEST(SoapCodec, XmlThatDoesNotFitNamesTheElement) {
  const auto& op = *orders().find("OrderService", "PlaceOrder");
  auto body = [](const std::string& inner) {
    return R"(<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><o:PlaceOrder xmlns:o="urn:orders">)" +
           inner + "</o:PlaceOrder></e:Body></e:Envelope>";
  };
  EXPECT_EQ(decode(body("<customer>c</customer><line><sku>a</sku><quantity>x</quantity></line>"), *op.input).error,
            "PlaceOrder.line.quantity: 'x' is not an integer");
  EXPECT_EQ(decode(body("<customer>c</customer><extra/>"), *op.input).error, "PlaceOrder: unexpected element extra");
  EXPECT_EQ(decode(body("<o:customer>c</o:customer>"), *op.input).error,
            "PlaceOrder: unexpected element {urn:orders}customer");
  EXPECT_EQ(decode(body(""), *op.input).error, "PlaceOrder.customer: is required but missing");
  EXPECT_EQ(decode(body("<customer>c</customer>"), *op.output).error,
            "the SOAP Body holds {urn:orders}PlaceOrder, expected {urn:orders}PlaceOrderResponse");
}

TEST(SoapCodec, FaultsOfBothVersionsReadBack) {
  auto fault11 = read_envelope(write_fault(SoapVersion::soap11, FaultSide::client, "bad <symbol>"));
  ASSERT_TRUE(fault11.ok()) << fault11.error;
  ASSERT_TRUE(fault11.fault);
  EXPECT_EQ(fault11.fault->side, FaultSide::client);
  EXPECT_EQ(fault11.fault->code, "soap:Client");
  EXPECT_EQ(fault11.fault->reason, "bad <symbol>");

  auto fault12 = read_envelope(write_fault(SoapVersion::soap12, FaultSide::server, "down"));
  ASSERT_TRUE(fault12.fault);
  EXPECT_EQ(fault12.version, SoapVersion::soap12);
  EXPECT_EQ(fault12.fault->side, FaultSide::server);
  EXPECT_EQ(fault12.fault->code, "soap:Receiver");
  EXPECT_EQ(fault12.fault->reason, "down");
}

TEST(SoapCodec, WhatIsNoEnvelopeIsAnError) {
  EXPECT_THAT(read_envelope("<a/>").error, HasSubstr("not a SOAP envelope"));
  EXPECT_THAT(read_envelope(R"(<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"/>)").error,
              HasSubstr("without a Body"));
  EXPECT_THAT(read_envelope("<a>").error, HasSubstr("line 1"));
}

}  // namespace
}  // namespace causeway::soap
