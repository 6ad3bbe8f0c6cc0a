#include "config/units.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace causeway::config {
namespace {

TEST(ConfigUnits, ParsesDurations) {
  const std::pair<std::string, Duration> cases[] = {
      {"250ms", 250ms},     {"5s", 5s},          {"1.5s", 1500ms},     {"1m", 1min},       {"2h", 2h},
      {"0s", 0ms},          {"0ms", 0ms},        {"0.0s", 0ms},        {"90m", 90min},     {"0.5m", 30s},
      {"1.2345s", 1235ms},  {"0.0005s", 1ms},    {"0.0004s", 0ms},     {"007s", 7s},       {"100ms", 100ms},
      {"0.25h", 15min},     {"1.999999999s", 2s}};
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(parse_duration(text), std::optional<Duration>(expected)) << text;
  }
}

TEST(ConfigUnits, RejectsMalformedDurations) {
  const std::string cases[] = {"",      "0",      "5",     "5S",     "-1s",   "+1s",  "1.s",   ".5s",  "1 s",
                               " 1s",   "1s ",    "1d",    "1us",    "5sec",  "1e3ms", "abc",  "1.5.5s", "ms",
                               "1..5s", "1,5s",   "1.0000000001s", "99999999999999999999h", "9999999999999999h"};
  for (const std::string& text : cases) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(ConfigUnits, ParsesSizes) {
  const std::pair<std::string, std::size_t> cases[] = {
      {"512", 512},          {"0", 0},                 {"64KiB", 65536},         {"1MiB", 1048576},
      {"1GiB", 1073741824},  {"1KB", 1000},            {"2MB", 2000000},         {"1GB", 1000000000},
      {"1.5MiB", 1572864},   {"1.5KiB", 1536},         {"0.3KiB", 307},          {"16KiB", 16384},
      {"4MiB", 4194304},     {"0.5GB", 500000000}};
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(parse_size(text), std::optional<std::size_t>(expected)) << text;
  }
}

TEST(ConfigUnits, RejectsMalformedSizes) {
  const std::string cases[] = {"",   "1.5",  "1 KiB", "1kib", "1K",   "1B",     "-1", "KiB",
                               "1TiB", "1.KiB", "1e3", "0x10", "1MiB ", "99999999999999999999GiB", "17179869184GiB"};
  for (const std::string& text : cases) {
    EXPECT_EQ(parse_size(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(ConfigUnits, FormatsDurationsInTheShortestExactForm) {
  EXPECT_EQ(format_duration(60000ms), "1m");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(5s), "5s");
  EXPECT_EQ(format_duration(1h), "1h");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(90min), "90m");
  EXPECT_EQ(format_duration(250ms), "250ms");
}

TEST(ConfigUnits, FormatsSizesWithBinaryUnitsOnly) {
  EXPECT_EQ(format_size(1048576), "1MiB");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(65536), "64KiB");
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(format_size(1), "1");
  EXPECT_EQ(format_size(1536), "1536");
  EXPECT_EQ(format_size(1073741824), "1GiB");
  EXPECT_EQ(format_size(3145728), "3MiB");
}

TEST(ConfigUnits, FormattedValuesParseBack) {
  for (const Duration duration : std::initializer_list<Duration>{0ms, 1ms, 999ms, 1s, 61s, 1min, 3h, 1500ms}) {
    EXPECT_EQ(parse_duration(format_duration(duration)), duration) << duration.count();
  }
  for (const std::size_t size : {0UL, 1UL, 1000UL, 1024UL, 65536UL, 1572864UL, 1UL << 40}) {
    EXPECT_EQ(parse_size(format_size(size)), size) << size;
  }
}

TEST(ConfigUnits, ParsesEndpoints) {
  const std::tuple<std::string, std::string, int> cases[] = {
      {"127.0.0.1:9901", "127.0.0.1", 9901}, {"0.0.0.0:8080", "0.0.0.0", 8080},
      {"localhost:80", "localhost", 80},     {"kafka-1.internal:9092", "kafka-1.internal", 9092},
      {"[::1]:8080", "::1", 8080},           {":8080", "0.0.0.0", 8080},
      {"host:0", "host", 0},                 {"[::]:0", "::", 0},
      {"my_service:65535", "my_service", 65535}, {"[fe80::1:2]:1", "fe80::1:2", 1}};
  for (const auto& [text, host, port] : cases) {
    const std::optional<Endpoint> endpoint = parse_endpoint(text);
    ASSERT_TRUE(endpoint.has_value()) << text;
    EXPECT_EQ(endpoint->host, host) << text;
    EXPECT_EQ(endpoint->port, port) << text;
  }
}

TEST(ConfigUnits, RejectsMalformedEndpoints) {
  const std::string cases[] = {"localhost",   "localhost:",  ":",          "host:65536",  "host:-1",
                               "host:80a",    "::1:8080",    "[::1]",      "[::1]8080",   "[zz]:80",
                               "300.1.1.1:80", "1.2.3:80",   "ho st:80",   "",            "host:123456",
                               "[]:80",       "http://x:80", "host: 80",   "[127.0.0.1]:80", "host:+80"};
  for (const std::string& text : cases) {
    EXPECT_EQ(parse_endpoint(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(ConfigUnits, EndpointTextPutsBracketsAroundIpv6) {
  EXPECT_EQ((Endpoint{"::1", 8080}).text(), "[::1]:8080");
  EXPECT_EQ((Endpoint{"127.0.0.1", 1}).text(), "127.0.0.1:1");
  EXPECT_EQ((Endpoint{"localhost", 0}).text(), "localhost:0");
  EXPECT_EQ(parse_endpoint(parse_endpoint("[::1]:9")->text())->host, "::1");
}

}  // namespace
}  // namespace causeway::config
