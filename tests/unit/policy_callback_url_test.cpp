// The allow list against hostile callback URLs: whatever another parser, a resolver or
// the receiving server could read as another host, port or path is refused or misses.
#include <gtest/gtest.h>

#include "policy/callback_url.h"

namespace causeway::policy {
namespace {

CallbackUrl url(std::string_view text) {
  auto parsed = parse_callback_url(text);
  if (auto* problem = std::get_if<std::string>(&parsed)) ADD_FAILURE() << text << ": " << *problem;
  return std::get_if<CallbackUrl>(&parsed) ? std::get<CallbackUrl>(parsed) : CallbackUrl{};
}

std::string refusal(std::string_view text) {
  auto parsed = parse_callback_url(text);
  return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
}

std::vector<AllowRule> rules(std::initializer_list<std::string_view> texts) {
  std::vector<AllowRule> out;
  for (auto text : texts) {
    auto parsed = parse_allow_rule(text);
    if (auto* problem = std::get_if<std::string>(&parsed)) ADD_FAILURE() << text << ": " << *problem;
    if (auto* rule = std::get_if<AllowRule>(&parsed)) out.push_back(*rule);
  }
  return out;
}

// Whether the URL parses and the rules allow it.
bool allowed(const std::vector<AllowRule>& allow, std::string_view text) {
  auto parsed = parse_callback_url(text);
  auto* parsed_url = std::get_if<CallbackUrl>(&parsed);
  return parsed_url && allows(allow, *parsed_url);
}

TEST(CallbackUrl, ReadsSchemeHostPortPathAndQuery) {
  auto parsed = url("HTTP://Hooks.Example.COM:8080/a/b?x=1&y=%20");
  EXPECT_EQ(parsed.scheme, "http");
  EXPECT_EQ(parsed.host, "hooks.example.com");
  EXPECT_EQ(parsed.port, 8080);
  EXPECT_EQ(parsed.path, "/a/b");
  EXPECT_EQ(parsed.query, "x=1&y=%20");
  EXPECT_EQ(parsed.target(), "/a/b?x=1&y=%20");
  EXPECT_EQ(url("https://example.com").port, 443);
  EXPECT_EQ(url("https://example.com").path, "/");
  EXPECT_EQ(url("http://example.com").text(), "http://example.com/");
}

TEST(CallbackUrl, RefusesUserInfo) {
  EXPECT_NE(refusal("http://allowed.example.com@evil.test/"), "");
  EXPECT_NE(refusal("http://user:pass@allowed.example.com/"), "");
  EXPECT_NE(refusal("http://evil.test\\@allowed.example.com/"), "");
  EXPECT_NE(refusal("http://allowed.example.com%40evil.test/"), "");
}

TEST(CallbackUrl, RefusesNumericSpellingsOfAddresses) {
  for (auto text : {"http://2130706433/", "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://127.1/",
                    "http://127.0.0.01/", "http://256.0.0.1/", "http://169.254.169.254.1/", "http://1.2.3.0x4/"}) {
    EXPECT_NE(refusal(text), "") << text;
  }
  EXPECT_EQ(url("http://169.254.169.254/latest/meta-data").host, "169.254.169.254");
}

TEST(CallbackUrl, RefusesPercentEncodingAndOddCharactersInTheHost) {
  EXPECT_NE(refusal("http://%31%32%37.0.0.1/"), "");
  EXPECT_NE(refusal("http://exa%6dple.com/"), "");
  EXPECT_NE(refusal("http://exa mple.com/"), "");
  EXPECT_NE(refusal("http://ex\xc3\xa4mple.com/"), "");
  EXPECT_NE(refusal("http://a..b/"), "");
  EXPECT_NE(refusal("http://.example.com/"), "");
  EXPECT_NE(refusal("http:///path"), "");
  EXPECT_NE(refusal("http://:80/"), "");
}

TEST(CallbackUrl, RefusesOtherSchemesFragmentsAndRelativeUrls) {
  for (auto text : {"ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "//example.com/",
                    "/hooks", "example.com/hooks", "http://example.com/#frag", "javascript:alert(1)"}) {
    EXPECT_NE(refusal(text), "") << text;
  }
}

TEST(CallbackUrl, RefusesBadPorts) {
  for (auto text : {"http://example.com:0/", "http://example.com:65536/", "http://example.com:/",
                    "http://example.com:80a/", "http://example.com:+80/", "http://example.com:0x50/",
                    "http://example.com:80:81/"}) {
    EXPECT_NE(refusal(text), "") << text;
  }
  EXPECT_EQ(url("http://example.com:00080/").port, 80) << "leading zeros are still port 80";
}

TEST(CallbackUrl, ChecksIpv6LiteralsAndWritesThemOneWay) {
  EXPECT_EQ(url("http://[::1]:9000/").host, "::1");
  EXPECT_TRUE(url("http://[::1]:9000/").ipv6);
  EXPECT_EQ(url("http://[0:0:0:0:0:0:0:1]/").host, "::1");
  EXPECT_EQ(url("http://[::FFFF:169.254.169.254]/").host, "::ffff:169.254.169.254");
  EXPECT_EQ(url("http://[::1]:9000/").text(), "http://[::1]:9000/");
  for (auto text : {"http://[::1/", "http://[::1]x/", "http://[fe80::1%25eth0]/", "http://[not-v6]/",
                    "http://[127.0.0.1]/", "http://::1/"}) {
    EXPECT_NE(refusal(text), "") << text;
  }
}

TEST(CallbackUrl, RefusesPathsThatAServerMayReadAsAnotherPath) {
  for (auto text : {"http://example.com/hooks/../admin", "http://example.com/hooks/./x", "http://example.com/hooks/..",
                    "http://example.com/hooks/%2e%2e/admin", "http://example.com/hooks%2F..%2Fadmin",
                    "http://example.com/hooks/%5c..", "http://example.com/hooks/%00", "http://example.com/hooks/%zz",
                    "http://example.com/hooks/%4", "http://example.com/a b", "http://example.com/a\\b",
                    "http://example.com/<x>"}) {
    EXPECT_NE(refusal(text), "") << text;
  }
  EXPECT_EQ(url("http://example.com/hooks/%41?next=/../x").query, "next=/../x") << "the query is not a path";
}

TEST(CallbackUrl, TrailingDotIsTheSameName) {
  EXPECT_EQ(url("http://example.com./hooks").host, "example.com");
  EXPECT_EQ(url("http://127.0.0.1./").host, "127.0.0.1");
  EXPECT_NE(refusal("http://example.com../"), "");
}

TEST(AllowRule, ParsesItsParts) {
  auto rule = rules({"https://*.Example.com:8443/hooks/*"}).at(0);
  EXPECT_TRUE(rule.any_subdomain);
  EXPECT_EQ(rule.host, "example.com");
  EXPECT_EQ(rule.port, 8443);
  EXPECT_EQ(rule.path, "/hooks/");
  EXPECT_TRUE(rule.path_prefix);
  auto bare = rules({"http://127.0.0.1:9000"}).at(0);
  EXPECT_TRUE(bare.any_path);
  for (auto text : {"*.example.com", "http://ex*ample.com/", "http://*.*.example.com/", "http://example.com/a*b",
                    "http://*.127.0.0.1/", "http://*.[::1]/", "http://example.com/?q=*", "http://u@example.com/"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_allow_rule(text))) << text;
  }
}

TEST(AllowRule, MatchesSchemeHostPortAndPathPrefix) {
  auto allow = rules({"http://127.0.0.1:9000/hooks/*"});
  EXPECT_TRUE(allowed(allow, "http://127.0.0.1:9000/hooks/a"));
  EXPECT_TRUE(allowed(allow, "http://127.0.0.1:9000/hooks/a/b?x=1"));
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1:9000/hooks")) << "the prefix is /hooks/";
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1:9000/hooksevil"));
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1:9001/hooks/a")) << "another port";
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1/hooks/a")) << "the default port is another port";
  EXPECT_FALSE(allowed(allow, "https://127.0.0.1:9000/hooks/a")) << "another scheme";
  EXPECT_FALSE(allowed(allow, "http://127.0.0.2:9000/hooks/a"));
  EXPECT_FALSE(allowed(allow, "http://localhost:9000/hooks/a")) << "names are compared, not resolved";
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1:9000@169.254.169.254/hooks/a"));
  EXPECT_FALSE(allowed(allow, "http://169.254.169.254/hooks/a"));
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1:9000/hooks/../admin"));
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1:9000/hooks/%2e%2e/admin"));
}

TEST(AllowRule, AnExactPathMatchesOnlyItself) {
  auto allow = rules({"https://hooks.example.com/receive"});
  EXPECT_TRUE(allowed(allow, "https://hooks.example.com/receive"));
  EXPECT_TRUE(allowed(allow, "https://hooks.example.com/receive?x=1"));
  EXPECT_FALSE(allowed(allow, "https://hooks.example.com/receive/more"));
  EXPECT_FALSE(allowed(allow, "https://hooks.example.com/"));
}

TEST(AllowRule, WildcardHostsMatchSubdomainsOnly) {
  auto allow = rules({"https://*.example.com/*"});
  EXPECT_TRUE(allowed(allow, "https://a.example.com/x"));
  EXPECT_TRUE(allowed(allow, "https://a.b.example.com/x"));
  EXPECT_TRUE(allowed(allow, "https://A.EXAMPLE.COM./x")) << "case and a trailing dot do not matter";
  EXPECT_FALSE(allowed(allow, "https://example.com/x")) << "the domain itself is not below it";
  EXPECT_FALSE(allowed(allow, "https://evilexample.com/x"));
  EXPECT_FALSE(allowed(allow, "https://example.com.evil.test/x"));
  EXPECT_FALSE(allowed(allow, "https://a.example.com.evil.test/x"));
  EXPECT_FALSE(allowed(allow, "https://a.example.com:8443/x"));
  EXPECT_FALSE(allowed(allow, "https://a.example.com%2eevil.test/x"));
  EXPECT_FALSE(allowed(allow, "https://169.254.169.254/x"));
  EXPECT_FALSE(allowed(allow, "https://[::ffff:169.254.169.254]/x"));
}

TEST(AllowRule, Ipv6RulesMatchAnySpellingOfTheAddress) {
  auto allow = rules({"http://[::1]:9000/*"});
  EXPECT_TRUE(allowed(allow, "http://[::1]:9000/a"));
  EXPECT_TRUE(allowed(allow, "http://[0:0::1]:9000/a"));
  EXPECT_FALSE(allowed(allow, "http://[::2]:9000/a"));
  EXPECT_FALSE(allowed(allow, "http://127.0.0.1:9000/a"));
  EXPECT_FALSE(allowed(rules({"http://127.0.0.1:9000/*"}), "http://[::ffff:127.0.0.1]:9000/a"))
      << "an IPv4-mapped address is another host to the allow list";
}

TEST(AllowRule, NoRulesAllowNothing) { EXPECT_FALSE(allowed({}, "http://127.0.0.1:9000/hooks/a")); }

}  // namespace
}  // namespace causeway::policy
