// The command line: validate, --version, --help, and refusing to start on a bad file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>

#include "harness.h"

namespace causeway::testing {
namespace {

const std::string kBrokenTopic = R"(admin: { listen: 127.0.0.1:0 }
listeners:
  public: { protocol: http, listen: 127.0.0.1:0 }
brokers:
  events: { bootstrap: embedded }
routes:
  - name: order-created
    from: { listener: public, method: POST, path: /orders }
    to: { broker: events, topic: [a, b] }
)";

const std::string kUnknownKafkaOption = R"(admin: { listen: 127.0.0.1:0 }
listeners:
  public: { protocol: http, listen: 127.0.0.1:0 }
brokers:
  events:
    bootstrap: embedded
    options:
      linger.ms: 1
      no.such.property: 3
routes: []
)";

TEST(Cli, ValidateReportsFileLineColumnPathAndMessage) {
  TempDir dir;
  auto file = dir.write("broken.yaml", kBrokenTopic).string();
  auto result = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(file + ":9:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("routes[0].to.topic"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("expected"), std::string::npos) << result.output;
}

TEST(Cli, ValidateReportsAnUnknownKafkaOptionAtItsLine) {
  TempDir dir;
  auto file = dir.write("options.yaml", kUnknownKafkaOption).string();
  auto result = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(file + ":9:7:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("no.such.property"), std::string::npos) << result.output;
}

TEST(Cli, ValidateAcceptsAGoodFileAndTheShippedDefault) {
  TempDir dir;
  auto file = dir.write("good.yaml", TestConfig{}.yaml()).string();
  auto good = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("OK"), std::string::npos) << good.output;

  auto shipped = run_command({CAUSEWAY_BIN, "validate", std::string(SOURCE_DIR) + "/config/causeway.yaml"});
  EXPECT_EQ(shipped.exit_code, 0) << shipped.output;
}

TEST(Cli, ValidateNamesAMissingFile) {
  auto result = run_command({CAUSEWAY_BIN, "validate", "/nonexistent/causeway.yaml"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("/nonexistent/causeway.yaml"), std::string::npos) << result.output;
}

TEST(Cli, VersionAndHelpExitZero) {
  auto version = run_command({CAUSEWAY_BIN, "--version"});
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_EQ(version.output.rfind("causeway ", 0), 0u) << version.output;

  auto help = run_command({CAUSEWAY_BIN, "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("validate"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--config"), std::string::npos) << help.output;
}

TEST(Cli, ServingABrokenFileExits1WithTheError) {
  TempDir dir;
  auto file = dir.write("broken.yaml", kBrokenTopic).string();
  auto result = run_command({CAUSEWAY_BIN, "--config", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(file + ":9:"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace causeway::testing

namespace causeway::testing {
namespace {

// What the start would refuse without connecting, validate refuses too.
TEST(Cli, ValidateChecksReplyPartitionOrdinalAgainstThisHost) {
  TempDir dir;
  auto file = dir.write("c.yaml", "brokers:\n  events:\n    bootstrap: embedded\n    reply_partition: ordinal\n");
  auto result = run_command({CAUSEWAY_BIN, "validate", file.string()});
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::string name = host;
  const bool numbered = !name.empty() && std::isdigit(static_cast<unsigned char>(name.back()));
  if (numbered) {
    EXPECT_EQ(result.exit_code, 0) << result.output;
  } else {
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("c.yaml:2:3: brokers.events: reply_partition is 'ordinal' but this host's name '" +
                                 name + "' does not end in a number"),
              std::string::npos)
        << result.output;
  }
}

}  // namespace
}  // namespace causeway::testing
