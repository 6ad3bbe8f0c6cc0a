#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "soap/wsdl_catalog.h"
#include "soap_test_wsdl.h"

namespace causeway::soap {
namespace {

using ::testing::HasSubstr;

std::string load_error(const std::string& wsdl) {
  try {
    WsdlCatalog::from_text(wsdl, "bad.wsdl");
  } catch (const WsdlError& error) {
    return error.what();
  }
  return "(loaded)";
}

TEST(SoapCatalog, LoadsOperationsOfBothSoapVersions) {
  auto catalog = WsdlCatalog::load({std::string(SOAP_EXAMPLES_DIR) + "/quotes.wsdl"});
  const SoapOperation* v11 = catalog->find("QuoteService", "GetQuote", SoapVersion::soap11);
  const SoapOperation* v12 = catalog->find("QuoteService", "GetQuote", SoapVersion::soap12);
  ASSERT_NE(v11, nullptr);
  ASSERT_NE(v12, nullptr);
  EXPECT_EQ(v11->version, SoapVersion::soap11);
  EXPECT_EQ(v12->version, SoapVersion::soap12);
  EXPECT_EQ(v11->action, "urn:example:quotes/GetQuote");
  EXPECT_EQ(v11->address, "http://localhost:9000/quotes");
  EXPECT_EQ(v11->input->name, "GetQuote");
  EXPECT_EQ(v11->input->ns, "urn:example:quotes");
  EXPECT_EQ(v11->output->name, "GetQuoteResponse");
  EXPECT_EQ(catalog->find("QuoteService", "Nope"), nullptr);
  EXPECT_NE(catalog->wsdl_text("QuoteService"), nullptr);
}

TEST(SoapCatalog, MapsTheSchemaToFieldsArraysAndTypes) {
  auto catalog = WsdlCatalog::load({std::string(SOAP_EXAMPLES_DIR) + "/quotes.wsdl"});
  const ElementDecl& response = *catalog->find("QuoteService", "GetQuote")->output;
  ASSERT_NE(response.complex, nullptr);
  const auto& type = *response.complex;
  ASSERT_EQ(type.elements.size(), 4u);
  EXPECT_EQ(type.elements[0].name, "symbol");
  EXPECT_EQ(type.elements[0].kind, ValueKind::string);  // a restriction of xs:string
  EXPECT_EQ(type.elements[0].ns, "urn:example:quotes");  // elementFormDefault="qualified"
  const ElementDecl* price = type.find_element("price");
  ASSERT_NE(price->complex, nullptr);
  EXPECT_TRUE(price->complex->simple_content);
  EXPECT_EQ(price->complex->text_kind, ValueKind::number);
  EXPECT_EQ(price->complex->attributes.at(0).name, "currency");
  EXPECT_TRUE(type.find_element("history")->repeated);
  EXPECT_EQ(type.find_element("history")->kind, ValueKind::number);
  EXPECT_TRUE(type.find_element("note")->nillable);
  const auto& request = *catalog->find("QuoteService", "GetQuote")->input->complex;
  EXPECT_EQ(request.find_element("days")->kind, ValueKind::integer);
  EXPECT_TRUE(request.find_element("days")->optional);
  EXPECT_EQ(request.find_element("realtime")->kind, ValueKind::boolean);
}

TEST(SoapCatalog, NamedTypesMayComeAfterTheirUseAndRefer) {
  auto catalog = WsdlCatalog::from_text(testing::kOrdersWsdl, "orders.wsdl");
  const SoapOperation* op = catalog->find("OrderService", "PlaceOrder");
  ASSERT_NE(op, nullptr);
  const auto& order = *op->input->complex;
  const ElementDecl* lines = order.find_element("line");
  ASSERT_NE(lines, nullptr);
  EXPECT_TRUE(lines->repeated);
  ASSERT_NE(lines->complex, nullptr);
  EXPECT_EQ(lines->complex->find_element("quantity")->kind, ValueKind::integer);
  EXPECT_EQ(lines->ns, "");  // unqualified local elements
  EXPECT_EQ(op->action, "");
}

TEST(SoapCatalog, MissingNamesListWhatExists) {
  auto catalog = WsdlCatalog::from_text(testing::kOrdersWsdl, "orders.wsdl");
  EXPECT_EQ(catalog->why_missing("OrderService", "Cancel"),
            "no operation OrderService/Cancel (operations of OrderService: PlaceOrder)");
  EXPECT_EQ(catalog->why_missing("Nope", "X"), "no SOAP service Nope (services: OrderService)");
}

TEST(SoapCatalog, RefusesRpcEncodedWithTheLine) {
  std::string wsdl = testing::kOrdersWsdl;
  wsdl.replace(wsdl.find("use=\"literal\""), 13, "use=\"encoded\"");
  EXPECT_THAT(load_error(wsdl), HasSubstr("is rpc/encoded"));
  EXPECT_THAT(load_error(wsdl), ::testing::StartsWith("bad.wsdl:"));

  wsdl = testing::kOrdersWsdl;
  wsdl.replace(wsdl.find("style=\"document\""), 16, "style=\"rpc\"");
  EXPECT_THAT(load_error(wsdl), HasSubstr("has style=\"rpc\": only document/literal is supported"));
}

TEST(SoapCatalog, RefusesWhatTheMappingCannotHold) {
  std::string wsdl = testing::kOrdersWsdl;
  wsdl.replace(wsdl.find("<xs:element name=\"sku\""), 0, "<xs:any/>");
  EXPECT_THAT(load_error(wsdl), HasSubstr("xs:any is not supported"));
  EXPECT_THAT(load_error("<notwsdl/>"), HasSubstr("not a WSDL 1.1 document"));
  EXPECT_THAT(load_error("<!DOCTYPE x []><x/>"), HasSubstr("DOCTYPE is not allowed"));
  std::string unknown = testing::kOrdersWsdl;
  unknown.replace(unknown.find("type=\"tns:OrderLine\""), 20, "type=\"tns:Missing\"");
  EXPECT_THAT(load_error(unknown), HasSubstr("element 'line' has unknown type tns:Missing"));
}

}  // namespace
}  // namespace causeway::soap
