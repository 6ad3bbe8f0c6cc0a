// Reading back the text the registry renders: names, labels (escaped too), values.
#include "admin/exposition.h"

#include <gtest/gtest.h>

#include <cmath>

#include "metrics/registry.h"

namespace causeway::admin {
namespace {

TEST(Exposition, ReadsWhatTheRegistryRenders) {
  metrics::Registry registry;
  registry.counter("c_total", "help", {"route", "code"}).with({"a \"quoted\"\\route", "202"}).inc(3);
  registry.gauge("g", "help").with({}).set(1.5);
  registry.histogram("h_seconds", "help", {"route"}, {0.1, 1}).with({"r"}).observe(0.5);

  const auto samples = parse_exposition(registry.render());

  auto find = [&](const std::string& name, const std::string& key = "", const std::string& value = "") {
    for (const auto& sample : samples) {
      if (sample.name == name && (key.empty() || sample.label(key) == value)) return &sample;
    }
    return static_cast<const Sample*>(nullptr);
  };
  ASSERT_TRUE(find("c_total"));
  EXPECT_EQ(find("c_total")->label("route"), "a \"quoted\"\\route");
  EXPECT_EQ(find("c_total")->label("code"), "202");
  EXPECT_EQ(find("c_total")->value, 3);
  ASSERT_TRUE(find("g"));
  EXPECT_EQ(find("g")->value, 1.5);
  ASSERT_TRUE(find("h_seconds_bucket", "le", "0.1"));
  EXPECT_EQ(find("h_seconds_bucket", "le", "0.1")->value, 0);
  EXPECT_EQ(find("h_seconds_bucket", "le", "1")->value, 1);
  EXPECT_EQ(find("h_seconds_bucket", "le", "+Inf")->value, 1);
  EXPECT_EQ(find("h_seconds_count")->value, 1);
}

TEST(Exposition, SkipsCommentsAndBrokenLinesAndReadsInfinity) {
  const auto samples = parse_exposition("# HELP x y\n\nbroken{a=\"1\" 2\nx{a=\"1\"} +Inf 1700000000\ny 4\n");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].name, "x");
  EXPECT_TRUE(std::isinf(samples[0].value));
  EXPECT_EQ(samples[1].name, "y");
  EXPECT_EQ(samples[1].value, 4);
  EXPECT_EQ(samples[1].label("none"), "");
}

}  // namespace
}  // namespace causeway::admin
