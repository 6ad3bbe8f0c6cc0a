// The command line: validate (also on files far larger than written by hand, and ended
// by a signal), --version, --help, and refusing to start on a bad file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <unistd.h>

#include <cctype>
#include <regex>

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

// People validate with the option they start the server with.
TEST(Cli, ValidateTakesTheFileAsArgumentAsConfigOptionOrFromTheConfigBeforeIt) {
  TempDir dir;
  auto file = dir.write("good.yaml", TestConfig{}.yaml()).string();
  for (const auto& argv : std::vector<std::vector<std::string>>{{CAUSEWAY_BIN, "validate", file},
                                                                {CAUSEWAY_BIN, "validate", "--config", file},
                                                                {CAUSEWAY_BIN, "-c", file, "validate"}}) {
    auto result = run_command(argv);
    EXPECT_EQ(result.exit_code, 0) << argv.back() << ": " << result.output;
    EXPECT_NE(result.output.find(file + ": OK"), std::string::npos) << result.output;
  }
}

// A warning while validating reads like the server's log, in either format: the test
// protos have a binding (POST .../{sku}:reserve) that Causeway leaves out with a warning.
TEST(Cli, ValidateLogsItsWarningsInTheServersFormat) {
  TempDir dir;
  const std::string protos = std::string(SOURCE_DIR) + "/tests/proto";
  auto file = dir.write("grpc.yaml",
                        "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
                        "protos:\n  files: [" + protos + "/inventory.proto]\n  include: [" + protos + "]\n"
                        "upstreams:\n  inventory: { type: grpc, address: \"127.0.0.1:9\" }\n"
                        "routes:\n  - name: inventory-rest\n    from: { listener: public }\n"
                        "    to: { upstream: inventory, rpc: \"inventory.v1.Inventory/*\" }\n")
                  .string();
  auto text = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(std::regex_search(text.output, std::regex(R"((^|\n)\d{4}-\d\d-\d\dT\S+ warning route 'inventory-rest': binding)")))
      << text.output;
  auto json = run_command({CAUSEWAY_BIN, "--log-format", "json", "validate", file});
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find(R"("level":"warning")"), std::string::npos) << json.output;
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

// A generated config: `count` routes with direct answers, each on a path of its own.
std::string many_routes(std::size_t count) {
  std::string yaml = "admin: { listen: 127.0.0.1:0 }\nlisteners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n";
  yaml += "routes:\n";
  for (std::size_t i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    yaml += "  - name: r" + n + "\n    from: { listener: public, method: GET, path: \"/items/" + n + "/{sku}\" }\n";
    yaml += "    to: { status: 200, body: r" + n + " }\n";
  }
  return yaml;
}

TEST(Cli, ValidateFinishesOnTwentyThousandRoutes) {
  TempDir dir;
  auto file = dir.write("generated.yaml", many_routes(20000)).string();
  // The timeout only keeps a hang from stalling the suite; this takes a second or two.
  auto result = run_command({CAUSEWAY_BIN, "validate", file}, 120s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("OK (1 listener(s), 0 broker(s), 20000 route(s))"), std::string::npos) << result.output;
}

TEST(Cli, ValidateRefusesAFileOverTheSizeLimit) {
  TempDir dir;
  auto file = dir.write("huge.yaml", "admin: {}\n").string();
  std::filesystem::resize_file(file, 16 * 1024 * 1024 + 1);
  auto result = run_command({CAUSEWAY_BIN, "validate", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(file + ": the file is over the limit of 16 MiB for a config file"), std::string::npos)
      << result.output;
}

// validate reads a FIFO that the test holds open after a first part of a file, so it
// is in the middle of reading when the signal comes; only the signal can end it.
void expect_signal_ends_validate(int signal) {
  TempDir dir;
  const auto fifo = dir.path() / "slow.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Subprocess validate({CAUSEWAY_BIN, "validate", fifo.string()});
  int fd = -1;
  // A non-blocking open of the write end succeeds once causeway has opened the read end.
  ASSERT_TRUE(eventually([&] { return (fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0; }, 20s))
      << validate.output();
  const std::string head = "admin: { listen: 127.0.0.1:0 }\nroutes:\n";
  EXPECT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  validate.signal(signal);
  const std::optional<int> code = validate.wait_exit(20s);
  close(fd);
  ASSERT_TRUE(code.has_value()) << "validate went on after signal " << signal << ": " << validate.output();
  EXPECT_EQ(*code, 128 + signal) << validate.output();
}

TEST(Cli, SigtermEndsAValidateInProgress) { expect_signal_ends_validate(SIGTERM); }

TEST(Cli, SigintEndsAValidateInProgress) { expect_signal_ends_validate(SIGINT); }

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
