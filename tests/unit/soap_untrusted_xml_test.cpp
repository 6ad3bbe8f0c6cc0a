#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "soap/untrusted_xml.h"

namespace causeway::soap {
namespace {

using ::testing::HasSubstr;

TEST(SoapUntrustedXml, RefusesEntityExpansion) {
  const std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>)";
  auto parsed = parse_untrusted_xml(laughs);
  EXPECT_EQ(parsed.doc, nullptr);
  EXPECT_EQ(parsed.error, "DOCTYPE is not allowed");
}

TEST(SoapUntrustedXml, RefusesExternalEntities) {
  const std::string xxe = R"(<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY file SYSTEM "file:///etc/passwd">]><x>&file;</x>)";
  auto parsed = parse_untrusted_xml(xxe);
  EXPECT_EQ(parsed.doc, nullptr);
  EXPECT_EQ(parsed.error, "DOCTYPE is not allowed");
  // An undeclared entity is not resolved from anywhere either.
  auto undeclared = parse_untrusted_xml("<x>&passwd;</x>");
  EXPECT_EQ(undeclared.doc, nullptr);
}

TEST(SoapUntrustedXml, RefusesOtherEncodingsThatCouldHideADoctype) {
  const std::string utf16("\xFF\xFE<\0x\0/\0>\0", 10);
  EXPECT_EQ(parse_untrusted_xml(utf16).error, "XML not in UTF-8");
}

TEST(SoapUntrustedXml, BoundsDepthAndSize) {
  std::string deep;
  for (int i = 0; i < 65; ++i) deep += "<a>";
  for (int i = 0; i < 65; ++i) deep += "</a>";
  EXPECT_EQ(parse_untrusted_xml(deep).error, "XML nested deeper than 64 elements");
  XmlLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(parse_untrusted_xml("<abcdefgh></abcdefgh>", small).error, "XML larger than 10 bytes");
  EXPECT_NE(parse_untrusted_xml("<a><b>text</b></a>").doc, nullptr);
}

TEST(SoapUntrustedXml, MalformedXmlSaysWhere) {
  auto parsed = parse_untrusted_xml("<a>\n<b></a>");
  EXPECT_EQ(parsed.doc, nullptr);
  EXPECT_THAT(parsed.error, HasSubstr("line 2"));
}

}  // namespace
}  // namespace causeway::soap
