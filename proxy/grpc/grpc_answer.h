#pragma once
// What a gRPC call ends with (a status, a message, metadata) and what the flows speak
// (bridge::Response), converted both ways in one place, by status_mapping.h's tables.

#include <string>

#include "bridge/exchange.h"
#include "grpc/status_mapping.h"

namespace causeway::grpc {

struct GrpcAnswer {
  Code code = Code::ok;
  std::string message;      // the status message; empty when OK
  std::string body;         // the response message's bytes, when OK
  bridge::Headers metadata;  // initial and trailing metadata, "-bin" values base64
};

// A call that failed: a code and why, nothing else.
GrpcAnswer grpc_error(Code code, std::string message);

// The flows' answer to a gRPC caller. "grpc-status" and "grpc-message" headers, when a
// response carries them (one relayed from a gRPC upstream), give the status exactly.
// Otherwise it comes from the HTTP status, and the message from the error body's
// "message" (Causeway's {"error","message"} and most services' error JSON), else from a
// short text body, else "HTTP <status>". Causeway's own "no route" answers (404 or 405 with
// error "not_found" / "method_not_allowed") become UNIMPLEMENTED, as gRPC callers expect for
// a method nobody serves; any other 404 stays NOT_FOUND.
GrpcAnswer answer_from_response(bridge::Response response);

// The code answer_from_response() gives, without building the rest (for counting).
Code code_of(const bridge::Response& response);

// A gRPC upstream's answer for the flows: the status from the code (grpc-gateway's table),
// the message bytes as the body when OK (content-type application/protobuf), else
// {"error": "<code>", "message": "..."} as JSON; metadata become headers, plus
// "grpc-status" and "grpc-message" so a gRPC listener can relay the status unchanged.
bridge::Response response_from_answer(GrpcAnswer answer);

}  // namespace causeway::grpc
