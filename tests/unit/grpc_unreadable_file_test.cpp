// A protos file that cannot be read says why, in the OS's words, never "()".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "grpc/proto_catalog.h"
#include "grpc_test_catalog.h"

namespace causeway::grpc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string load_error(const std::vector<std::string>& files, const std::vector<std::string>& includes) {
  try {
    ProtoCatalog::load(files, includes);
  } catch (const CatalogError& error) {
    return error.what();
  }
  return "(loaded)";
}

TEST(GrpcUnreadableFile, AMissingProtoFileGivesTheOsReason) {
  testing::ScratchDir dir;
  const auto error = load_error({dir.path() + "/none.proto"}, {dir.path()});
  EXPECT_THAT(error, HasSubstr("none.proto: cannot be read (" + std::string(std::strerror(ENOENT)) + ")"));
  EXPECT_THAT(error, Not(HasSubstr("()")));
}

TEST(GrpcUnreadableFile, AMissingDescriptorSetGivesTheOsReason) {
  testing::ScratchDir dir;
  EXPECT_THAT(load_error({dir.path() + "/missing.pb"}, {}),
              HasSubstr("missing.pb: cannot be read (" + std::string(std::strerror(ENOENT)) + ")"));
}

}  // namespace
}  // namespace causeway::grpc
