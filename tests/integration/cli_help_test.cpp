// `causeway help`: the same usage as --help, a command's own with `help <command>`.
#include <gtest/gtest.h>

#include "harness.h"

namespace causeway::testing {
namespace {

TEST(CliHelp, HelpPrintsTheUsageAndExitsZero) {
  auto help = run_command({CAUSEWAY_BIN, "help"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("--config"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("validate"), std::string::npos) << help.output;
  EXPECT_EQ(help.output.find("not expected"), std::string::npos) << help.output;
}

TEST(CliHelp, HelpOfACommandPrintsItsUsage) {
  auto help = run_command({CAUSEWAY_BIN, "help", "validate"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("Check a configuration file"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("file"), std::string::npos) << help.output;
}

TEST(CliHelp, HelpOfAnUnknownCommandIsAnError) {
  auto help = run_command({CAUSEWAY_BIN, "help", "launch"});
  EXPECT_EQ(help.exit_code, 2) << help.output;
  EXPECT_NE(help.output.find("no command 'launch'"), std::string::npos) << help.output;
}

}  // namespace
}  // namespace causeway::testing
