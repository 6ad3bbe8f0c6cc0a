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
using testing::load_error;

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
