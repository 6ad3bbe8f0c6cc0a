#include "grpc/status_mapping.h"

#include <array>

namespace causeway::grpc {

namespace {

struct CodeInfo {
  std::string_view name;
  std::string_view error_name;
  int http_status;
};

constexpr std::array<CodeInfo, kCodeCount> kCodes{{
    {"OK", "ok", 200},
    {"CANCELLED", "cancelled", 499},
    {"UNKNOWN", "unknown", 500},
    {"INVALID_ARGUMENT", "invalid_argument", 400},
    {"DEADLINE_EXCEEDED", "deadline_exceeded", 504},
    {"NOT_FOUND", "not_found", 404},
    {"ALREADY_EXISTS", "already_exists", 409},
    {"PERMISSION_DENIED", "permission_denied", 403},
    {"RESOURCE_EXHAUSTED", "resource_exhausted", 429},
    {"FAILED_PRECONDITION", "failed_precondition", 400},
    {"ABORTED", "aborted", 409},
    {"OUT_OF_RANGE", "out_of_range", 400},
    {"UNIMPLEMENTED", "unimplemented", 501},
    {"INTERNAL", "internal", 500},
    {"UNAVAILABLE", "unavailable", 503},
    {"DATA_LOSS", "data_loss", 500},
    {"UNAUTHENTICATED", "unauthenticated", 401},
}};

const CodeInfo& info(Code code) { return kCodes[static_cast<std::size_t>(code)]; }

}  // namespace

std::optional<Code> code_from_number(int number) {
  if (number < 0 || number >= kCodeCount) return std::nullopt;
  return static_cast<Code>(number);
}

int http_status_from_code(Code code) { return info(code).http_status; }

Code code_from_http_status(int status) {
  if (status >= 200 && status < 300) return Code::ok;
  switch (status) {
    case 400: return Code::invalid_argument;
    case 401: return Code::unauthenticated;
    case 403: return Code::permission_denied;
    case 404: return Code::not_found;
    case 405: return Code::unimplemented;
    case 408: return Code::deadline_exceeded;
    case 409: return Code::aborted;
    case 412: return Code::failed_precondition;
    case 413:
    case 429:
    case 431: return Code::resource_exhausted;
    case 416: return Code::out_of_range;
    case 499: return Code::cancelled;
    case 500: return Code::internal;
    case 501: return Code::unimplemented;
    case 502:
    case 503: return Code::unavailable;
    case 504: return Code::deadline_exceeded;
    default: break;
  }
  if (status >= 400 && status < 500) return Code::failed_precondition;
  if (status >= 500 && status < 600) return Code::internal;
  return Code::unknown;
}

std::string_view code_name(Code code) { return info(code).name; }

std::string_view error_code_name(Code code) { return info(code).error_name; }

}  // namespace causeway::grpc
