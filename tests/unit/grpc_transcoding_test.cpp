#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <google/protobuf/util/time_util.h>

#include "grpc/json_transcoding.h"
#include "grpc/rest_transcoding.h"
#include "grpc_test_catalog.h"
#include "inventory.pb.h"

namespace causeway::grpc {
namespace {

using testing::message_type;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <class Message>
Message parsed(const Transcoded& transcoded) {
  EXPECT_TRUE(transcoded.ok()) << transcoded.error;
  Message message;
  EXPECT_TRUE(message.ParseFromString(transcoded.data));
  return message;
}

TEST(GrpcJson, JsonBecomesTheMessage) {
  const auto request = parsed<inventory::v1::ReserveRequest>(json_to_proto(
      message_type("inventory.v1.ReserveRequest"),
      R"({"sku":"A1","quantity":3,"order":{"id":"o1","color":"RED"},"lotIds":["12","9007199254740993"]})"));
  EXPECT_EQ(request.sku(), "A1");
  EXPECT_EQ(request.quantity(), 3);
  EXPECT_EQ(request.order().id(), "o1");
  EXPECT_EQ(request.order().color(), inventory::v1::RED);
  EXPECT_THAT(request.lot_ids(), ElementsAre(12, 9007199254740993));

  // Proto names are accepted as well as lowerCamel, enums by number too.
  const auto same = parsed<inventory::v1::ReserveRequest>(
      json_to_proto(message_type("inventory.v1.ReserveRequest"), R"({"lot_ids":[1],"order":{"color":2}})"));
  EXPECT_THAT(same.lot_ids(), ElementsAre(1));
  EXPECT_EQ(same.order().color(), inventory::v1::GREEN);
}

TEST(GrpcJson, ErrorsNameTheFieldAndWhatItNeeds) {
  const auto& type = message_type("inventory.v1.ReserveRequest");
  EXPECT_EQ(json_to_proto(type, R"({"quantity":"abc"})").error,
            R"(field 'quantity': expected a 32-bit integer, got "abc")");
  EXPECT_EQ(json_to_proto(type, R"({"quantity":1.5})").error, "field 'quantity': expected a 32-bit integer, got 1.5");
  EXPECT_EQ(json_to_proto(type, R"({"order":{"color":"BLUE"}})").error,
            R"(field 'order.color': expected one of COLOR_UNSPECIFIED, RED, GREEN, got "BLUE")");
  EXPECT_EQ(json_to_proto(type, R"({"lotIds":["x"]})").error, R"(field 'lot_ids[0]': expected a 64-bit integer, got "x")");
  EXPECT_EQ(json_to_proto(type, R"({"order":5})").error,
            "field 'order': expected an object (inventory.v1.Order), got 5");
  EXPECT_EQ(json_to_proto(type, R"({"nope":1})").error, "field 'nope' does not exist in inventory.v1.ReserveRequest");
  EXPECT_EQ(json_to_proto(type, "[1]").error, "expected a JSON object (inventory.v1.ReserveRequest)");
  EXPECT_THAT(json_to_proto(type, R"({"sku":)").error, HasSubstr("invalid JSON: "));
  EXPECT_THAT(json_to_proto(message_type("inventory.v1.Item"), R"({"updatedAt":"yesterday"})").error,
              HasSubstr("field 'updated_at': "));

  JsonOptions lenient;
  lenient.ignore_unknown_fields = true;
  EXPECT_TRUE(json_to_proto(type, R"({"nope":1,"sku":"A"})", lenient).ok());
}

TEST(GrpcJson, MessageBecomesProto3Json) {
  inventory::v1::Item item;
  item.set_sku("A1");
  item.set_version(12);
  item.set_color(inventory::v1::GREEN);
  item.add_tags("new");
  *item.mutable_updated_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1714564800);
  const auto& type = message_type("inventory.v1.Item");

  const Transcoded json = proto_to_json(type, item.SerializeAsString());
  ASSERT_TRUE(json.ok()) << json.error;
  EXPECT_EQ(json.data, R"({"sku":"A1","color":"GREEN","tags":["new"],"updatedAt":"2024-05-01T12:00:00Z","version":"12"})");

  JsonOptions options;
  options.proto_field_names = true;
  options.emit_defaults = true;
  const Transcoded full = proto_to_json(type, item.SerializeAsString(), options);
  EXPECT_THAT(full.data, HasSubstr(R"("updated_at":"2024-05-01T12:00:00Z")"));
  EXPECT_THAT(full.data, HasSubstr(R"("quantity":0)"));

  EXPECT_THAT(proto_to_json(type, "\xff\xff\xff").error, HasSubstr("not a valid inventory.v1.Item message"));
}

// Protobuf merges a field set twice on the wire (a message field field by field, a
// singular scalar: the last value); the JSON must say what a parser reads, with each key once.
TEST(GrpcJson, FieldsRepeatedOnTheWireAreMergedNotPrintedTwice) {
  inventory::v1::ReserveRequest first;
  first.set_sku("A1");
  first.mutable_order()->set_customer("c1");
  first.mutable_order()->set_color(inventory::v1::RED);
  inventory::v1::ReserveRequest second;
  second.set_sku("B2");
  second.mutable_order()->set_id("o1");
  second.add_lot_ids(7);
  const std::string bytes = first.SerializeAsString() + second.SerializeAsString();

  const Transcoded json = proto_to_json(message_type("inventory.v1.ReserveRequest"), bytes);
  ASSERT_TRUE(json.ok()) << json.error;
  EXPECT_EQ(json.data, R"({"sku":"B2","order":{"id":"o1","customer":"c1","color":"RED"},"lotIds":["7"]})");

  // What the parse refuses is refused, not printed as an empty string.
  EXPECT_THAT(proto_to_json(message_type("inventory.v1.Item"), std::string("\x0a\x01\xff", 3)).error,
              HasSubstr("not a valid inventory.v1.Item message: a field's bytes do not fit its type"));
}

TEST(GrpcJson, RoundTripsEventPayloads) {
  const auto& type = message_type("inventory.v1.Item");
  const std::string json = R"({"sku":"A1","quantity":4,"price":{"currency":"EUR","units":"1250"}})";
  const Transcoded bytes = json_to_proto(type, json);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(proto_to_json(type, bytes.data).data, json);
}

TEST(GrpcRest, PathVariablesAndQueryFillTheRequest) {
  RestRequest rest;
  rest.body_field = "";
  rest.path_variables = {{"sku", "A 1"}};
  rest.query = "include_history=true&access_token=secret";
  const auto get = parsed<inventory::v1::GetItemRequest>(rest_to_proto(message_type("inventory.v1.GetItemRequest"), rest));
  EXPECT_EQ(get.sku(), "A 1");
  EXPECT_TRUE(get.include_history());

  RestRequest list;
  list.body_field = "";
  list.query = "pageSize=2&tags=a&tags=b%20c&filter.color=RED&filter.min_version=5&filter.inStock=true&colors=RED&colors=2";
  const auto items = parsed<inventory::v1::ListItemsRequest>(rest_to_proto(message_type("inventory.v1.ListItemsRequest"), list));
  EXPECT_EQ(items.page_size(), 2);
  EXPECT_THAT(items.tags(), ElementsAre("a", "b c"));
  EXPECT_EQ(items.filter().color(), inventory::v1::RED);
  EXPECT_EQ(items.filter().min_version(), 5);
  EXPECT_TRUE(items.filter().in_stock());
  EXPECT_THAT(items.colors(), ElementsAre(inventory::v1::RED, inventory::v1::GREEN));
}

TEST(GrpcRest, PathVariablesWinOverBodyAndQuery) {
  const auto& type = message_type("inventory.v1.ReserveRequest");
  RestRequest rest;
  rest.body = R"({"sku":"from-body","quantity":2,"lotIds":["1"]})";
  rest.path_variables = {{"sku", "from-path"}};
  rest.query = "quantity=7";  // body "*": the query is not read
  const auto request = parsed<inventory::v1::ReserveRequest>(rest_to_proto(type, rest));
  EXPECT_EQ(request.sku(), "from-path");
  EXPECT_EQ(request.quantity(), 2);

  RestRequest order;
  order.body = R"({"id":"from-body","customer":"c42"})";
  order.body_field = "order";
  order.path_variables = {{"order.id", "o9"}};
  order.query = "quantity=7&order.id=ignored&lot_ids=3&lot_ids=4";
  const auto put = parsed<inventory::v1::ReserveRequest>(rest_to_proto(type, order));
  EXPECT_EQ(put.order().id(), "o9");
  EXPECT_EQ(put.order().customer(), "c42");
  EXPECT_EQ(put.quantity(), 7);
  EXPECT_THAT(put.lot_ids(), ElementsAre(3, 4));
}

TEST(GrpcRest, ErrorsSayWhichPartOfTheUrlDidNotFit) {
  const auto& type = message_type("inventory.v1.ReserveRequest");
  RestRequest rest;
  rest.body_field = "";
  rest.query = "quantity=abc";
  EXPECT_EQ(rest_to_proto(type, rest).error, R"(query parameter 'quantity': expected a 32-bit integer, got "abc")");
  rest.query = "order.color=BLUE";
  EXPECT_EQ(rest_to_proto(type, rest).error,
            R"(query parameter 'order.color': expected one of COLOR_UNSPECIFIED, RED, GREEN, got "BLUE")");
  rest.query = "lot_ids=%zz";
  EXPECT_THAT(rest_to_proto(type, rest).error, HasSubstr("malformed percent-escape"));
  rest.query = "order=x";
  EXPECT_EQ(rest_to_proto(type, rest).error,
            "query parameter 'order': field 'order' is a message (inventory.v1.Order); name one of its fields instead");
  rest.query = "sku.x=1";
  EXPECT_EQ(rest_to_proto(type, rest).error,
            "query parameter 'sku.x': field 'sku' is not a message, so it has no field 'x'");

  RestRequest path;
  path.body_field = "";
  path.path_variables = {{"nope", "1"}};
  EXPECT_EQ(rest_to_proto(type, path).error,
            "path variable 'nope': field 'nope' does not exist in inventory.v1.ReserveRequest");

  RestRequest body;
  body.body = R"({"quantity":"many"})";
  EXPECT_EQ(rest_to_proto(type, body).error, R"(field 'quantity': expected a 32-bit integer, got "many")");
}

TEST(GrpcRest, ABodyForOneFieldCannotSmuggleInOthers) {
  RestRequest rest;
  rest.body = R"({"id":"o1"}, "quantity": 9)";
  rest.body_field = "order";
  EXPECT_THAT(rest_to_proto(message_type("inventory.v1.ReserveRequest"), rest).error, HasSubstr("invalid JSON"));
}

TEST(GrpcRest, ResponseBodyPicksOneField) {
  inventory::v1::ItemList list;
  list.add_items()->set_sku("A1");
  list.add_items()->set_sku("B2");
  list.set_next_page_token("next");
  const auto& type = message_type("inventory.v1.ItemList");
  EXPECT_EQ(proto_to_rest(type, list.SerializeAsString(), "items").data, R"([{"sku":"A1"},{"sku":"B2"}])");
  EXPECT_EQ(proto_to_rest(type, "", "items").data, "[]");
  EXPECT_EQ(proto_to_rest(type, list.SerializeAsString(), "next_page_token").data, R"("next")");
  EXPECT_EQ(proto_to_rest(type, list.SerializeAsString()).data,
            R"({"items":[{"sku":"A1"},{"sku":"B2"}],"nextPageToken":"next"})");
}

TEST(GrpcRest, QueryStringsDecode) {
  const QueryParameters query = parse_query("a=1&b=x+y%2B&&flag&c=");
  ASSERT_TRUE(query.error.empty());
  ASSERT_EQ(query.parameters.size(), 4u);
  EXPECT_EQ(query.parameters[1].field, "b");
  EXPECT_EQ(query.parameters[1].value, "x y+");
  EXPECT_EQ(query.parameters[2].field, "flag");
  EXPECT_EQ(query.parameters[2].value, "");
  EXPECT_FALSE(parse_query("a=%4").error.empty());
}

}  // namespace
}  // namespace causeway::grpc
