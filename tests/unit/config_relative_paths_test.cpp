// Relative paths in a config file are from the file's directory, not the working one.
#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace causeway::config {
namespace {

namespace fs = std::filesystem;

const char* kConfig = R"(
listeners:
  secure:
    protocol: http
    listen: 127.0.0.1:0
    tls: { cert: tls/server.pem, key: tls/server.key, client_ca: /etc/ssl/ca.pem }
upstreams:
  billing: { url: "https://127.0.0.1:1", tls: { ca: ../shared/ca.pem } }
protos:
  files: [proto/inventory.proto, /abs/other.proto]
)";

class ConfigRelativePaths : public ::testing::Test {
 protected:
  ConfigRelativePaths() : dir_(fs::temp_directory_path() / ("causeway-paths-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_ / "deploy");
    std::ofstream(dir_ / "deploy" / "causeway.yaml") << kConfig;
  }
  ~ConfigRelativePaths() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ConfigRelativePaths, AreTakenFromTheConfigFilesDirectory) {
  const auto config = load_config((dir_ / "deploy" / "causeway.yaml").string());
  const auto deploy = (dir_ / "deploy").string();
  const auto& tls = *config.listeners.at(0).tls;
  EXPECT_EQ(tls.cert.path, deploy + "/tls/server.pem");
  EXPECT_EQ(tls.key.path, deploy + "/tls/server.key");
  EXPECT_EQ(tls.client_ca->path, "/etc/ssl/ca.pem");  // absolute: as written
  EXPECT_EQ(config.upstreams.at(0).tls->ca->path, (dir_ / "shared" / "ca.pem").string());
  EXPECT_EQ(config.protos->files.at(0).path, deploy + "/proto/inventory.proto");
  EXPECT_EQ(config.protos->files.at(1).path, "/abs/other.proto");
  // Without include paths, .proto imports are looked up next to the config.
  EXPECT_EQ(config.protos->include, std::vector<std::string>{deploy});
}

TEST_F(ConfigRelativePaths, ARelativeConfigPathGivesPathsRelativeToItsDirectory) {
  const auto cwd = fs::current_path();
  fs::current_path(dir_);
  const auto config = load_config("deploy/causeway.yaml");
  fs::current_path(cwd);
  EXPECT_EQ(config.listeners.at(0).tls->cert.path, "deploy/tls/server.pem");
  EXPECT_EQ(config.protos->include, std::vector<std::string>{"deploy"});
}

TEST_F(ConfigRelativePaths, TextInMemoryKeepsPathsAsWritten) {
  const auto config = parse_config(kConfig, "deploy/causeway.yaml");
  EXPECT_EQ(config.listeners.at(0).tls->cert.path, "tls/server.pem");
  EXPECT_TRUE(config.protos->include.empty());
}

}  // namespace
}  // namespace causeway::config
