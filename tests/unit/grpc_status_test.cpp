#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/failure.h"
#include "grpc/grpc_answer.h"
#include "grpc/grpc_metadata.h"
#include "grpc/grpc_timeout.h"
#include "grpc/status_mapping.h"

namespace causeway::grpc {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::Pair;

const std::string* header(const bridge::Headers& headers, std::string_view name) {
  return bridge::find_header(headers, name);
}

TEST(GrpcStatus, CodesBecomeHttpStatusesByGrpcGatewaysTable) {
  const std::pair<Code, int> table[] = {
      {Code::ok, 200},
      {Code::cancelled, 499},
      {Code::unknown, 500},
      {Code::invalid_argument, 400},
      {Code::deadline_exceeded, 504},
      {Code::not_found, 404},
      {Code::already_exists, 409},
      {Code::permission_denied, 403},
      {Code::resource_exhausted, 429},
      {Code::failed_precondition, 400},
      {Code::aborted, 409},
      {Code::out_of_range, 400},
      {Code::unimplemented, 501},
      {Code::internal, 500},
      {Code::unavailable, 503},
      {Code::data_loss, 500},
      {Code::unauthenticated, 401},
  };
  for (const auto& [code, status] : table) EXPECT_EQ(http_status_from_code(code), status) << code_name(code);
}

TEST(GrpcStatus, HttpStatusesBecomeCodesByCausewaysTable) {
  const std::pair<int, Code> table[] = {
      {200, Code::ok},
      {202, Code::ok},
      {400, Code::invalid_argument},
      {401, Code::unauthenticated},
      {403, Code::permission_denied},
      {404, Code::not_found},
      {405, Code::unimplemented},
      {408, Code::deadline_exceeded},
      {409, Code::aborted},
      {412, Code::failed_precondition},
      {413, Code::resource_exhausted},
      {416, Code::out_of_range},
      {418, Code::failed_precondition},
      {429, Code::resource_exhausted},
      {431, Code::resource_exhausted},
      {499, Code::cancelled},
      {500, Code::internal},
      {501, Code::unimplemented},
      {502, Code::unavailable},
      {503, Code::unavailable},
      {504, Code::deadline_exceeded},
      {507, Code::internal},
      {302, Code::unknown},
  };
  for (const auto& [status, code] : table) EXPECT_EQ(code_from_http_status(status), code) << status;
}

TEST(GrpcStatus, NamesAndNumbers) {
  EXPECT_EQ(code_name(Code::resource_exhausted), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(error_code_name(Code::deadline_exceeded), "deadline_exceeded");
  EXPECT_EQ(code_from_number(14), Code::unavailable);
  EXPECT_EQ(code_from_number(17), std::nullopt);
  EXPECT_EQ(code_from_number(-1), std::nullopt);
}

TEST(GrpcAnswer, CausewayErrorsReachGrpcCallersWithTheirMessage) {
  GrpcAnswer limited = answer_from_response(bridge::failure_response(bridge::Failure::rate_limited, "slow down", "quote"));
  EXPECT_EQ(limited.code, Code::resource_exhausted);
  EXPECT_EQ(limited.message, "slow down");
  EXPECT_TRUE(limited.body.empty());
  EXPECT_NE(header(limited.metadata, "retry-after"), nullptr);

  EXPECT_EQ(answer_from_response(bridge::failure_response(bridge::Failure::timeout, "no reply")).code,
            Code::deadline_exceeded);
  EXPECT_EQ(answer_from_response(bridge::failure_response(bridge::Failure::draining, "draining")).code,
            Code::unavailable);
  EXPECT_EQ(answer_from_response(bridge::failure_response(bridge::Failure::bad_request, "bad")).code,
            Code::invalid_argument);
}

TEST(GrpcAnswer, NoRouteIsUnimplementedButAMissingResourceIsNotFound) {
  const GrpcAnswer no_route =
      answer_from_response(bridge::failure_response(bridge::Failure::not_found, "no route for /x.Y/Z"));
  EXPECT_EQ(no_route.code, Code::unimplemented);
  EXPECT_EQ(no_route.message, "no route for /x.Y/Z");

  const GrpcAnswer missing = answer_from_response({404, {{"content-type", "application/json"}}, R"({"message":"no item A1"})"});
  EXPECT_EQ(missing.code, Code::not_found);
  EXPECT_EQ(missing.message, "no item A1");
}

// What callers are counted with is what they get.
TEST(GrpcAnswer, CodeOfAgreesWithTheAnswer) {
  std::vector<bridge::Response> responses{
      bridge::Response{200, {}, ""},
      bridge::Response{409, {}, "taken"},
      bridge::Response{503, {{"grpc-status", "5"}}, ""},
      bridge::failure_response(bridge::Failure::not_found, "no route for /x.Y/Z"),
      bridge::Response{404, {}, R"({"error":"missing","message":"no item"})"},
      bridge::failure_response(bridge::Failure::timeout, "late"),
  };
  for (const auto& response : responses) {
    EXPECT_EQ(code_of(response), answer_from_response(response).code) << response.status << " " << response.body;
  }
  EXPECT_EQ(code_of(responses[3]), Code::unimplemented);
  EXPECT_EQ(code_of(responses[4]), Code::not_found);
}

TEST(GrpcAnswer, MessagesComeFromTextBodiesOrTheStatus) {
  EXPECT_EQ(answer_from_response({503, {}, "upstream overloaded"}).message, "upstream overloaded");
  EXPECT_EQ(answer_from_response({500, {}, ""}).message, "HTTP 500");
  EXPECT_EQ(answer_from_response({500, {}, std::string("\x01\x02", 2)}).message, "HTTP 500");
  const GrpcAnswer ok = answer_from_response({200, {{"x-a", "1"}}, "bytes"});
  EXPECT_EQ(ok.code, Code::ok);
  EXPECT_EQ(ok.body, "bytes");
  EXPECT_TRUE(ok.message.empty());
}

TEST(GrpcAnswer, GrpcStatusHeadersAreRelayedExactly) {
  const bridge::Response relayed{503, {{"grpc-status", "14"}, {"grpc-message", "backend%20down%0A"}}, "{}"};
  const GrpcAnswer answer = answer_from_response(relayed);
  EXPECT_EQ(answer.code, Code::unavailable);
  EXPECT_EQ(answer.message, "backend down\n");

  const GrpcAnswer exhausted = answer_from_response({429, {{"grpc-status", "8"}}, ""});
  EXPECT_EQ(exhausted.code, Code::resource_exhausted);
  EXPECT_EQ(answer_from_response({200, {{"grpc-status", "99"}}, ""}).code, Code::ok);  // not a code: the status decides
}

TEST(GrpcAnswer, UpstreamAnswersBecomeResponsesAndBack) {
  GrpcAnswer ok;
  ok.body = "\x0a\x02" "A1";
  ok.metadata = {{"x-served-by", "inventory"}};
  const bridge::Response response = response_from_answer(ok);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, ok.body);
  EXPECT_EQ(*header(response.headers, "content-type"), "application/protobuf");
  EXPECT_EQ(*header(response.headers, "x-served-by"), "inventory");
  EXPECT_EQ(*header(response.headers, "grpc-status"), "0");

  const bridge::Response failed = response_from_answer(grpc_error(Code::unavailable, "connection refused\r\nx: y"));
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.body, R"({"error":"unavailable","message":"connection refused\r\nx: y"})");
  EXPECT_EQ(*header(failed.headers, "content-type"), "application/json");
  EXPECT_EQ(*header(failed.headers, "grpc-message"), "connection refused%0D%0Ax: y");

  // Through a gRPC listener again, the status is the upstream's own.
  const GrpcAnswer back = answer_from_response(failed);
  EXPECT_EQ(back.code, Code::unavailable);
  EXPECT_EQ(back.message, "connection refused\r\nx: y");

  EXPECT_EQ(response_from_answer(grpc_error(Code::deadline_exceeded, "late")).status, 504);
  EXPECT_EQ(response_from_answer(grpc_error(Code::resource_exhausted, "full")).status, 429);
}

TEST(GrpcTimeout, TextAndParse) {
  EXPECT_EQ(timeout_text(1500ms), "1500m");
  EXPECT_EQ(timeout_text(0ms), "1m");
  EXPECT_EQ(timeout_text(-5ms), "1m");
  EXPECT_EQ(timeout_text(std::chrono::hours(48)), "172800S");
  EXPECT_EQ(timeout_text(std::chrono::hours(24 * 365 * 300)), "2628000H");
  EXPECT_EQ(timeout_text(std::chrono::hours(200'000'000)), "99999999H");

  EXPECT_EQ(parse_timeout("1500m"), 1500ms);
  EXPECT_EQ(parse_timeout("2S"), 2000ms);
  EXPECT_EQ(parse_timeout("1M"), 60000ms);
  EXPECT_EQ(parse_timeout("1H"), 3600000ms);
  EXPECT_EQ(parse_timeout("1500u"), 2ms);
  EXPECT_EQ(parse_timeout("1n"), 1ms);
  EXPECT_EQ(parse_timeout("m"), std::nullopt);
  EXPECT_EQ(parse_timeout("123456789m"), std::nullopt);
  EXPECT_EQ(parse_timeout("12x"), std::nullopt);
  EXPECT_EQ(parse_timeout("-1m"), std::nullopt);
}

TEST(GrpcMetadata, BinaryValuesTravelAsBase64AndTransportHeadersStay) {
  const std::string raw("\x00\xff\x10", 3);
  const std::multimap<::grpc::string_ref, ::grpc::string_ref> metadata{
      {"x-tenant", "t1"}, {"trace-bin", ::grpc::string_ref(raw.data(), raw.size())}, {"grpc-accept-encoding", "gzip"},
      {"te", "trailers"}, {"content-type", "application/grpc"}};
  const bridge::Headers headers = headers_from_metadata(metadata);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(*header(headers, "x-tenant"), "t1");
  EXPECT_EQ(*header(headers, "trace-bin"), "AP8Q");

  const Metadata back = metadata_from_headers({{"x-tenant", "t1"},
                                               {"trace-bin", "AP8Q"},
                                               {"bad-bin", "***"},
                                               {"x-newline", "a\nb"},
                                               {"X-Upper", "1"},
                                               {"content-length", "12"},
                                               {"grpc-status", "0"},
                                               {"retry-after", "1"}});
  EXPECT_EQ(back.size(), 3u);
  EXPECT_THAT(back, Contains(Pair("x-tenant", "t1")));
  EXPECT_THAT(back, Contains(Pair("trace-bin", raw)));
  EXPECT_THAT(back, Contains(Pair("retry-after", "1")));
}

}  // namespace
}  // namespace causeway::grpc
