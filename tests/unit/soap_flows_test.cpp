#include <gtest/gtest.h>

#include "soap/soap_flows.h"

namespace causeway::soap {
namespace {

// Without a `path:` in the target, an envelope goes to the path of the port's address.
TEST(SoapFlows, AddressPathIsThePathOfTheLocation) {
  EXPECT_EQ(address_path("http://localhost:9000/quotes"), "/quotes");
  EXPECT_EQ(address_path("https://legacy.internal/services/Quote.asmx?x=1"), "/services/Quote.asmx?x=1");
  EXPECT_EQ(address_path("http://127.0.0.1:8000"), "/");
  EXPECT_EQ(address_path("http://127.0.0.1:8000/"), "/");
}

}  // namespace
}  // namespace causeway::soap
