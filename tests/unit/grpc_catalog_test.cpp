#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <google/protobuf/descriptor.h>

#include "grpc/proto_catalog.h"
#include "grpc_test_catalog.h"

namespace causeway::grpc {
namespace {

using testing::ScratchDir;
using testing::inventory_catalog;
using testing::test_proto;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::load_error;

TEST(GrpcCatalog, LoadsProtoFilesWithImportsAndWellKnownTypes) {
  const auto& catalog = *inventory_catalog();
  EXPECT_THAT(catalog.services(), ElementsAre("inventory.v1.Inventory"));

  const RpcMethod& get = catalog.method("inventory.v1.Inventory/GetItem");
  EXPECT_EQ(get.path, "/inventory.v1.Inventory/GetItem");
  EXPECT_EQ(get.service, "inventory.v1.Inventory");
  EXPECT_EQ(get.name, "GetItem");
  EXPECT_EQ(get.input.name(), "inventory.v1.GetItemRequest");
  EXPECT_EQ(get.output.name(), "inventory.v1.Item");
  EXPECT_EQ(get.output.type_url, "type.googleapis.com/inventory.v1.Item");
  EXPECT_TRUE(get.unary());
  EXPECT_EQ(&catalog.method("/inventory.v1.Inventory/GetItem"), &get);

  const RpcMethod& watch = catalog.method("inventory.v1.Inventory/WatchItems");
  EXPECT_FALSE(watch.unary());
  EXPECT_TRUE(watch.server_streaming);

  // google/protobuf/timestamp.proto resolved: the field's type is the real Timestamp.
  const auto* updated = get.output.descriptor->FindFieldByName("updated_at");
  ASSERT_NE(updated, nullptr);
  EXPECT_EQ(updated->message_type()->full_name(), "google.protobuf.Timestamp");
  EXPECT_NE(catalog.find_message("inventory.v1.Money"), nullptr);
  EXPECT_EQ(catalog.find_message("inventory.v1.Nope"), nullptr);
}

TEST(GrpcCatalog, ReadsHttpAnnotations) {
  const auto& catalog = *inventory_catalog();
  const auto& get = catalog.method("inventory.v1.Inventory/GetItem").http_rules;
  ASSERT_EQ(get.size(), 1u);
  EXPECT_EQ(get[0].method, "GET");
  EXPECT_EQ(get[0].path, "/v1/items/{sku}");
  EXPECT_EQ(get[0].body, "");
  EXPECT_FALSE(get[0].additional);

  const auto& reserve = catalog.method("inventory.v1.Inventory/ReserveItem").http_rules;
  ASSERT_EQ(reserve.size(), 2u);
  EXPECT_EQ(reserve[0].method, "POST");
  EXPECT_EQ(reserve[0].path, "/v1/items/{sku}:reserve");
  EXPECT_EQ(reserve[0].body, "*");
  EXPECT_EQ(reserve[1].method, "PUT");
  EXPECT_EQ(reserve[1].path, "/v1/orders/{order.id}/reservation");
  EXPECT_EQ(reserve[1].body, "order");
  EXPECT_TRUE(reserve[1].additional);

  const auto& list = catalog.method("inventory.v1.Inventory/ListItems").http_rules;
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].response_body, "items");
  EXPECT_TRUE(catalog.method("inventory.v1.Inventory/WatchItems").http_rules.empty());
}

TEST(GrpcCatalog, LoadsDescriptorSets) {
  const auto catalog = ProtoCatalog::load({TEST_DESCRIPTOR_SET}, {});
  EXPECT_THAT(catalog->services(), ElementsAre("inventory.v1.Inventory"));
  const auto& rules = catalog->method("inventory.v1.Inventory/ReserveItem").http_rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[1].body, "order");
  EXPECT_NE(catalog->pool().FindFileByName("google/protobuf/timestamp.proto"), nullptr);
}

TEST(GrpcCatalog, CompiledInAnnotationsNeedNoIncludePath) {
  // Only the test directory: google/api/annotations.proto comes from what is compiled in.
  ScratchDir dir;
  const auto file = dir.write("shop.proto", R"(syntax = "proto3";
package shop;
import "google/api/annotations.proto";
import "google/protobuf/empty.proto";
service Shop {
  rpc Ping(google.protobuf.Empty) returns (google.protobuf.Empty) { option (google.api.http) = { custom: { kind: "HEAD" path: "/ping" } }; }
}
)");
  const auto catalog = ProtoCatalog::load({file}, {dir.path()});
  const auto& rules = catalog->method("shop.Shop/Ping").http_rules;
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].method, "HEAD");
  EXPECT_EQ(rules[0].path, "/ping");
}

TEST(GrpcCatalog, SyntaxErrorsNameFileLineAndColumn) {
  ScratchDir dir;
  const auto file = dir.write("broken.proto", "syntax = \"proto3\";\npackage broken;\nmessage A {\n  string name = ;\n}\n");
  EXPECT_THAT(load_error({file}, {dir.path()}), HasSubstr(file + ":4:17: Expected field number."));
}

TEST(GrpcCatalog, UndefinedTypesAndMissingImportsAreErrorsWithPositions) {
  ScratchDir dir;
  const auto undefined = dir.write("undefined.proto", "syntax = \"proto3\";\npackage u;\nmessage A {\n  Missing b = 1;\n}\n");
  EXPECT_THAT(load_error({undefined}, {dir.path()}), HasSubstr(undefined + ":4:3: \"Missing\" is not defined."));

  const auto importer = dir.write("importer.proto", "syntax = \"proto3\";\nimport \"missing.proto\";\n");
  const std::string error = load_error({importer}, {dir.path()});
  EXPECT_THAT(error, HasSubstr("missing.proto: File not found."));
  EXPECT_THAT(error, HasSubstr(importer + ":2:1: Import \"missing.proto\" was not found or had errors."));
}

TEST(GrpcCatalog, FilesOutsideTheIncludePathsAndBadDescriptorSetsAreErrors) {
  ScratchDir dir;
  const auto file = dir.write("a.proto", "syntax = \"proto3\";\n");
  EXPECT_THAT(load_error({file}, {TEST_PROTO_DIR}), HasSubstr(file + ": not under any include path"));
  EXPECT_THAT(load_error({dir.path() + "/none.proto"}, {dir.path()}), HasSubstr("none.proto: cannot be read"));
  const auto garbage = dir.write("set.pb", "this is no descriptor set");
  EXPECT_THAT(load_error({garbage}, {}), HasSubstr(garbage + ": not a descriptor set"));
  EXPECT_THAT(load_error({dir.path() + "/missing.pb"}, {}), HasSubstr("missing.pb: cannot be read"));
}

TEST(GrpcCatalog, HttpRulesNamingMissingFieldsAreErrors) {
  ScratchDir dir;
  const auto file = dir.write("rules.proto", R"(syntax = "proto3";
package rules;
import "google/api/annotations.proto";
message Req { string id = 1; }
service S {
  rpc Put(Req) returns (Req) { option (google.api.http) = { put: "/r/{id}" body: "payload" }; }
}
)");
  EXPECT_THAT(load_error({file}, {dir.path()}),
              HasSubstr("method rules.S/Put: google.api.http body 'payload' is not a field of rules.Req"));

  const auto variables = dir.write("variables.proto", R"(syntax = "proto3";
package variables;
import "google/api/annotations.proto";
message Req { string id = 1; }
service S {
  rpc Get(Req) returns (Req) { option (google.api.http) = { get: "/r/{id}/{name=parts/*}" }; }
}
)");
  EXPECT_THAT(load_error({variables}, {dir.path()}),
              HasSubstr("method variables.S/Get: google.api.http path variable 'name': field 'name' does not exist in "
                        "variables.Req"));
}

TEST(GrpcCatalog, LookupsSayWhatExists) {
  const auto& catalog = *inventory_catalog();
  EXPECT_EQ(catalog.find_method("inventory.v1.Inventory/Nope"), nullptr);
  try {
    catalog.method("inventory.v1.Inventory/Nope");
    FAIL();
  } catch (const CatalogError& error) {
    EXPECT_STREQ(error.what(),
                 "no method inventory.v1.Inventory/Nope (methods of inventory.v1.Inventory: GetItem, ReserveItem, "
                 "ListItems, WatchItems, WatchItem)");
  }
  try {
    catalog.method("shop.Shop/Buy");
    FAIL();
  } catch (const CatalogError& error) {
    EXPECT_STREQ(error.what(), "no method shop.Shop/Buy (services: inventory.v1.Inventory)");
  }
  EXPECT_THROW(catalog.method("GetItem"), CatalogError);

  const auto methods = catalog.methods("inventory.v1.Inventory/*");
  ASSERT_EQ(methods.size(), 5u);
  EXPECT_EQ(methods[0]->name, "GetItem");
  EXPECT_EQ(methods[3]->name, "WatchItems");
  EXPECT_THROW(catalog.methods("shop.Shop/*"), CatalogError);
  EXPECT_THROW(catalog.methods("inventory.v1.Inventory"), CatalogError);
}

}  // namespace
}  // namespace causeway::grpc
