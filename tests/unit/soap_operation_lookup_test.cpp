#include <gtest/gtest.h>

#include "soap/operation_lookup.h"
#include "soap/wsdl_address.h"
#include "soap/wsdl_catalog.h"
#include "soap_test_wsdl.h"

namespace causeway::soap {
namespace {

TEST(SoapCallOf, ReadsTheVersionAndActionOfEitherSoap) {
  auto v11 = soap_call_of("text/xml; charset=utf-8", "\"urn:example:quotes/GetQuote\"");
  ASSERT_TRUE(v11);
  EXPECT_EQ(v11->version, SoapVersion::soap11);
  EXPECT_EQ(v11->action, "urn:example:quotes/GetQuote");
  EXPECT_EQ(soap_call_of("Text/XML", "")->action, "");

  auto v12 = soap_call_of("application/soap+xml;charset=utf-8; Action=\"urn:a/B\"", "\"ignored\"");
  ASSERT_TRUE(v12);
  EXPECT_EQ(v12->version, SoapVersion::soap12);
  EXPECT_EQ(v12->action, "urn:a/B");
  EXPECT_EQ(soap_call_of("application/soap+xml; action=urn:a/C", "")->action, "urn:a/C");

  EXPECT_FALSE(soap_call_of("application/json", "\"urn:a/B\""));
  EXPECT_FALSE(soap_call_of("", ""));
}

class PickOperation : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = WsdlCatalog::load({std::string(SOAP_EXAMPLES_DIR) + "/quotes.wsdl"});
    orders_ = WsdlCatalog::from_text(testing::kOrdersWsdl, "orders.wsdl");
    operations_ = {orders_->find("OrderService", "PlaceOrder"), catalog_->find("QuoteService", "GetQuote")};
  }
  std::shared_ptr<const WsdlCatalog> catalog_, orders_;
  std::vector<const SoapOperation*> operations_;
};

TEST_F(PickOperation, ByActionFirst) {
  EXPECT_EQ(pick_operation(operations_, "urn:example:quotes/GetQuote", "urn:orders", "PlaceOrder"), 1u);
}

TEST_F(PickOperation, ByTheBodysElementWithoutAMatchingAction) {
  EXPECT_EQ(pick_operation(operations_, "", "urn:orders", "PlaceOrder"), 0u);
  EXPECT_EQ(pick_operation(operations_, "urn:unknown", "urn:example:quotes", "GetQuote"), 1u);
}

TEST_F(PickOperation, NoneWhenNeitherFits) {
  EXPECT_EQ(pick_operation(operations_, "", "urn:other", "PlaceOrder"), kNoOperation);  // namespace counts
  EXPECT_EQ(pick_operation(operations_, "urn:unknown", "urn:orders", "CancelOrder"), kNoOperation);
  EXPECT_EQ(pick_operation({}, "urn:example:quotes/GetQuote", "", ""), kNoOperation);
}

TEST(WsdlAddress, RewritesEveryPortsAddressAndLeavesTheRest) {
  const std::string wsdl =
      R"(<w:port name="A"><soap:address location="http://localhost:9000/quotes"/></w:port>)"
      R"(<w:port name="B"><s12:address  location='http://old/x' /></w:port><note location="keep"/>)";
  EXPECT_EQ(rewrite_addresses(wsdl, "http://soap.example:8080/q?a&b"),
            R"(<w:port name="A"><soap:address location="http://soap.example:8080/q?a&amp;b"/></w:port>)"
            R"(<w:port name="B"><s12:address  location="http://soap.example:8080/q?a&amp;b" /></w:port><note location="keep"/>)");
}

TEST(WsdlAddress, OnlyPlainHostsGoIntoTheWsdl) {
  EXPECT_TRUE(plain_host("soap.example:8080"));
  EXPECT_TRUE(plain_host("[::1]:8080"));
  EXPECT_FALSE(plain_host(""));
  EXPECT_FALSE(plain_host("a\"><x/>"));
  EXPECT_FALSE(plain_host("a/b"));
}

}  // namespace
}  // namespace causeway::soap
