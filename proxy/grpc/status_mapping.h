#pragma once
// gRPC status codes <-> HTTP statuses, in one place.
//
// gRPC -> HTTP (a gRPC upstream's answer relayed to an HTTP caller or to the flows),
// grpc-gateway's table (runtime.HTTPStatusFromCode):
//   OK 200  CANCELLED 499  UNKNOWN 500  INVALID_ARGUMENT 400  DEADLINE_EXCEEDED 504
//   NOT_FOUND 404  ALREADY_EXISTS 409  PERMISSION_DENIED 403  UNAUTHENTICATED 401
//   RESOURCE_EXHAUSTED 429  FAILED_PRECONDITION 400  ABORTED 409  OUT_OF_RANGE 400
//   UNIMPLEMENTED 501  INTERNAL 500  UNAVAILABLE 503  DATA_LOSS 500  anything else 500
// so the delivery flow retries UNAVAILABLE (503), DEADLINE_EXCEEDED (504) and
// RESOURCE_EXHAUSTED (429), and dead-letters what a retry cannot fix.
//
// HTTP -> gRPC (an answer of the flows, or of an HTTP upstream, to a gRPC caller),
// Causeway's table (DESIGN.md, "Status codes"):
//   2xx OK  400 INVALID_ARGUMENT  401 UNAUTHENTICATED  403 PERMISSION_DENIED
//   404 NOT_FOUND  405 UNIMPLEMENTED  408 DEADLINE_EXCEEDED  409 ABORTED
//   412 FAILED_PRECONDITION  413 RESOURCE_EXHAUSTED  416 OUT_OF_RANGE
//   429 RESOURCE_EXHAUSTED  431 RESOURCE_EXHAUSTED  499 CANCELLED  500 INTERNAL
//   501 UNIMPLEMENTED  502 UNAVAILABLE  503 UNAVAILABLE  504 DEADLINE_EXCEEDED
//   other 4xx FAILED_PRECONDITION  other 5xx INTERNAL  anything else UNKNOWN
// It deliberately differs from gRPC's own http-grpc-status-mapping.md (400 INTERNAL,
// 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, else UNKNOWN): that table is for
// clients that got an HTTP response without grpc-status from some intermediary, and the
// gRPC library applies it itself. Here the HTTP status was chosen on purpose by Causeway
// or by a service, so its meaning is kept: a 400 is the caller's fault, a 504 a timeout.

#include <optional>
#include <string_view>

namespace causeway::grpc {

// The 17 canonical codes, numbered as on the wire (grpc-status).
enum class Code {
  ok = 0,
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

inline constexpr int kCodeCount = 17;

// nullopt unless 0..16.
std::optional<Code> code_from_number(int number);

int http_status_from_code(Code code);
Code code_from_http_status(int status);

// "NOT_FOUND": the canonical name, for metrics labels and logs.
std::string_view code_name(Code code);
// "not_found": the same in the style of Causeway's JSON error codes.
std::string_view error_code_name(Code code);

}  // namespace causeway::grpc
