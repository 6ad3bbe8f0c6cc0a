// Standard Webhooks signatures against values computed elsewhere: the vector of the
// Standard Webhooks reference libraries, and one made with Python's hmac module.
#include <gtest/gtest.h>

#include "webhooks/webhook_signature.h"

namespace causeway::webhooks {
namespace {

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

TEST(WebhookSignature, MatchesTheReferenceVector) {
  // standard-webhooks' own test: id, timestamp and body as they give them.
  auto key = secret_key(kSecret);
  ASSERT_TRUE(key);
  EXPECT_EQ(sign(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, SignsWithEverySecretOfARotation) {
  // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"another key",
  //   b"id-1.1700000000.body", hashlib.sha256).digest()).decode())'
  const std::string second = "whsec_" + base64("another key");
  EXPECT_EQ(second, "whsec_YW5vdGhlciBrZXk=");
  const auto header = signature_header({std::string(kSecret), second}, "id-1", 1700000000, "body");
  const auto space = header.find(' ');
  ASSERT_NE(space, std::string::npos) << header;
  EXPECT_EQ(header.substr(0, space), sign(*secret_key(kSecret), "id-1", 1700000000, "body"));
  EXPECT_EQ(header.substr(space + 1), "v1,u8c73Pw3gbnIRMdzO7HVkl9jYFUPwd4sxhbSZ6ykJvk=");
}

TEST(WebhookSignature, ReadsOnlyWellFormedSecrets) {
  EXPECT_EQ(secret_key("whsec_YW5vdGhlciBrZXk="), "another key");
  EXPECT_EQ(secret_key("whsec_YQ=="), "a");
  EXPECT_EQ(secret_key("whsec_YWI="), "ab");
  EXPECT_FALSE(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")) << "no prefix";
  EXPECT_FALSE(secret_key("whsec_")) << "no key";
  EXPECT_FALSE(secret_key("whsec_abc")) << "not whole quads";
  EXPECT_FALSE(secret_key("whsec_ab!d")) << "not base64";
}

}  // namespace
}  // namespace causeway::webhooks
