// A config's relative paths are from its own directory, whatever directory causeway runs
// in; a file that cannot be read is named with the OS's reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness.h"

namespace causeway::testing {
namespace {

namespace fs = std::filesystem;

std::string protos_config(const std::string& file) {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "listeners:\n  rpc: { protocol: grpc, listen: 127.0.0.1:0 }\n"
         "protos:\n  files: [" + file + "]\n";
}

CommandResult validate_from_root(const fs::path& config) {
  return run_command({"/bin/sh", "-c", std::string("cd / && '") + CAUSEWAY_BIN + "' validate '" + config.string() + "'"});
}

TEST(ConfigPaths, RelativeProtosAreFoundNextToTheConfig) {
  TempDir dir;
  fs::create_directories(dir.path() / "protos");
  fs::copy_file(fs::path(SOURCE_DIR) / "tests/proto/inventory.proto", dir.path() / "protos/inventory.proto");
  const auto config = dir.write("causeway.yaml", protos_config("protos/inventory.proto"));
  auto result = validate_from_root(config);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(ConfigPaths, AMissingProtoFileIsNamedWithTheOsReason) {
  TempDir dir;
  const auto config = dir.write("causeway.yaml", protos_config("protos/none.proto"));
  auto result = validate_from_root(config);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((dir.path() / "protos/none.proto").string() + ": cannot be read (No such file or directory)"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("()"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace causeway::testing
