// Config files far larger than any written by hand, loaded with every check across
// routes still made (on one pass each).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

std::string error_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

// Routes r0..r<count-1> on listener "public", each on a path of its own.
std::string many_routes(std::size_t count, const std::string& listener = "public") {
  std::string yaml = "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
                     "  other: { protocol: http, listen: 127.0.0.1:0 }\nroutes:\n";
  for (std::size_t i = 0; i < count; ++i) {
    yaml += "  - { name: r" + std::to_string(i) + ", from: { listener: " + listener + ", method: GET, path: '/r/" +
            std::to_string(i) + "/{id}' }, to: { status: 200 } }\n";
  }
  return yaml;
}

TEST(ConfigLargeFiles, ADuplicateNameFarDownIsFoundWithTheFirstLine) {
  // Line 1-4 are the head; route i is on line 5 + i.
  const std::string yaml = many_routes(5000) +
                           "  - { name: r1234, from: { listener: public, path: /dup }, to: { status: 200 } }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }),
            "big.yaml:5005:13: routes[5000].name: duplicate route name 'r1234' (first at line 1239)");
}

TEST(ConfigLargeFiles, TheFirstClashInTheFileIsReportedWhicheverListenerItIsOn) {
  std::string yaml = many_routes(5000);
  // routes[5000] clashes with routes[3] on "public"; routes[5002] with routes[5001] on "other".
  yaml += "  - { name: late, from: { listener: public, method: GET, path: '/r/3/{x}' }, to: { status: 200 } }\n";
  yaml += "  - { name: o1, from: { listener: other, path: /o }, to: { status: 200 } }\n";
  yaml += "  - { name: o2, from: { listener: other, path: /o }, to: { status: 200 } }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }),
            "big.yaml:5005:64: routes[5000].from.path: ambiguous with route 'r3' (routes[3]): both match the same "
            "requests");

  // The same routes on another listener do not clash.
  std::string apart = many_routes(5000);
  apart += "  - { name: late, from: { listener: other, method: GET, path: '/r/3/{x}' }, to: { status: 200 } }\n";
  EXPECT_EQ(parse_config(apart, "big.yaml").routes.size(), 5001u);
}

TEST(ConfigLargeFiles, ADuplicateKeyInALargeMappingIsFound) {
  std::string yaml = "upstreams:\n";
  for (int i = 0; i < 20000; ++i) yaml += "  u" + std::to_string(i) + ": { url: 'http://127.0.0.1:3000' }\n";
  yaml += "  u777: { url: 'http://127.0.0.1:3001' }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }), "big.yaml:20002:3: upstreams.u777: duplicate key");
}

TEST(ConfigLargeFiles, ManyListenersStillClashOnOnePort) {
  std::string yaml = "listeners:\n";
  for (int i = 0; i < 5000; ++i) {
    yaml += "  l" + std::to_string(i) + ": { protocol: http, listen: '127.0.0.1:" + std::to_string(10000 + i) + "' }\n";
  }
  yaml += "  again: { protocol: http, listen: '0.0.0.0:12345' }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }),
            "big.yaml:5002:36: listeners.again.listen: address 0.0.0.0:12345 is already used by listener 'l2345' "
            "(127.0.0.1:12345)");
}

}  // namespace
}  // namespace causeway::config
