#include "http/request_checks.h"

#include <boost/beast/core/string.hpp>

namespace causeway::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using bridge::Failure;

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<Rejection> check_request_head(const bhttp::request_header<>& head, const config::HttpLimits& limits) {
  std::size_t fields = 0, content_lengths = 0, transfer_encodings = 0, hosts = 0;
  std::string_view transfer_encoding;
  for (const auto& field : head) {
    ++fields;
    switch (field.name()) {
      case bhttp::field::content_length:
        ++content_lengths;
        // "5, 5" is a list of lengths: as ambiguous as two fields.
        if (field.value().find(',') != std::string_view::npos) ++content_lengths;
        break;
      case bhttp::field::transfer_encoding:
        ++transfer_encodings;
        transfer_encoding = field.value();
        break;
      case bhttp::field::host: ++hosts; break;
      default: break;
    }
  }
  if (fields > limits.max_headers) {
    return Rejection{Failure::headers_too_large, "more than " + std::to_string(limits.max_headers) + " header fields"};
  }
  if (content_lengths > 1) return Rejection{Failure::bad_request, "more than one Content-Length"};
  if (transfer_encodings > 0) {
    if (content_lengths > 0) return Rejection{Failure::bad_request, "both Content-Length and Transfer-Encoding"};
    if (transfer_encodings > 1) return Rejection{Failure::bad_request, "more than one Transfer-Encoding"};
    if (head.version() < 11) return Rejection{Failure::bad_request, "Transfer-Encoding in an HTTP/1.0 request"};
    if (!beast::iequals(trim(transfer_encoding), "chunked")) {
      return Rejection{Failure::bad_request, "unsupported Transfer-Encoding '" + std::string(transfer_encoding) + "'"};
    }
  }
  if (head.version() >= 11 && hosts == 0) return Rejection{Failure::bad_request, "missing Host header"};
  if (hosts > 1) return Rejection{Failure::bad_request, "more than one Host header"};
  auto target = head.target();
  if (target.empty() || target.front() != '/') {
    return Rejection{Failure::bad_request, "the request target must be a path starting with '/'"};
  }
  return std::nullopt;
}

}  // namespace causeway::http
