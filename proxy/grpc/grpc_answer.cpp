#include "grpc/grpc_answer.h"

#include <algorithm>
#include <charconv>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "routing/path.h"

namespace causeway::grpc {

namespace {

constexpr std::size_t kMaxMessageFromBody = 512;

std::optional<Code> explicit_code(const bridge::Headers& headers) {
  const std::string* status = bridge::find_header(headers, "grpc-status");
  if (!status) return std::nullopt;
  int number = -1;
  const auto [end, error] = std::from_chars(status->data(), status->data() + status->size(), number);
  if (error != std::errc() || end != status->data() + status->size()) return std::nullopt;
  return code_from_number(number);
}

// grpc-message is percent-encoded on the HTTP/2 wire (gRPC's PROTOCOL-HTTP2); the header
// is written the same way so that it is a valid HTTP header whatever the message holds.
std::string percent_encoded(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : message) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

bool printable_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x20 || c == '\t' || c == '\n'; });
}

}  // namespace

GrpcAnswer grpc_error(Code code, std::string message) {
  GrpcAnswer answer;
  answer.code = code;
  answer.message = std::move(message);
  return answer;
}

GrpcAnswer answer_from_response(bridge::Response response) {
  GrpcAnswer answer;
  answer.metadata = std::move(response.headers);
  if (const auto code = explicit_code(answer.metadata)) {
    answer.code = *code;
    if (const std::string* message = bridge::find_header(answer.metadata, "grpc-message")) {
      answer.message = routing::percent_decode(*message).value_or(*message);
    }
    if (answer.code == Code::ok) answer.body = std::move(response.body);
    return answer;
  }

  answer.code = code_from_http_status(response.status);
  if (answer.code == Code::ok) {
    answer.body = std::move(response.body);
    return answer;
  }
  boost::system::error_code error;
  const boost::json::value json = boost::json::parse(response.body, error);
  const boost::json::object* object = error ? nullptr : json.if_object();
  if (object) {
    if (const auto* message = object->if_contains("message"); message && message->is_string()) {
      answer.message = message->as_string();
    }
    const auto* kind = object->if_contains("error");
    const bool no_route = kind && kind->is_string() && (kind->as_string() == "not_found" || kind->as_string() == "method_not_allowed");
    if (no_route && (response.status == 404 || response.status == 405)) answer.code = Code::unimplemented;
  }
  if (answer.message.empty() && !object && !response.body.empty() && printable_text(response.body)) {
    answer.message = response.body.substr(0, kMaxMessageFromBody);
  }
  if (answer.message.empty()) answer.message = "HTTP " + std::to_string(response.status);
  return answer;
}

Code code_of(const bridge::Response& response) {
  if (auto code = explicit_code(response.headers)) return *code;
  // Only these may be a "no route" answer, which reads the body: rare enough to copy.
  if (response.status == 404 || response.status == 405) return answer_from_response(response).code;
  return code_from_http_status(response.status);
}

bridge::Response response_from_answer(GrpcAnswer answer) {
  bridge::Response response;
  response.status = http_status_from_code(answer.code);
  response.headers = std::move(answer.metadata);
  if (answer.code == Code::ok) {
    response.headers.push_back({"content-type", "application/protobuf"});
    response.body = std::move(answer.body);
  } else {
    boost::json::object body;
    body["error"] = error_code_name(answer.code);
    body["message"] = answer.message;
    response.headers.push_back({"content-type", "application/json"});
    response.body = boost::json::serialize(body);
  }
  response.headers.push_back({"grpc-status", std::to_string(static_cast<int>(answer.code))});
  if (!answer.message.empty()) response.headers.push_back({"grpc-message", percent_encoded(answer.message)});
  return response;
}

}  // namespace causeway::grpc
