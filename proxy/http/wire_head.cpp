#include "http/wire_head.h"

#include <boost/beast/http/status.hpp>
#include <charconv>

namespace causeway::http {

namespace {

void append_number(std::string& out, std::uint64_t value) {
  std::array<char, 20> digits;
  auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
  out.append(digits.data(), end);
}

}  // namespace

void WireHead::request_line(std::string_view method, std::string_view prefix, std::string_view target) {
  out_.append(method).append(" ").append(prefix).append(target).append(" HTTP/1.1\r\n");
}

void WireHead::status_line(unsigned version, int status, std::string_view reason) {
  out_.append(version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  append_number(out_, static_cast<std::uint64_t>(status));
  out_ += ' ';
  if (reason.empty()) {
    // Beast's table, which names every registered code; others go with an empty reason (RFC 9112 4).
    const auto known = boost::beast::http::int_to_status(static_cast<unsigned>(status));
    if (known != boost::beast::http::status::unknown) reason = boost::beast::http::obsolete_reason(known);
  }
  out_.append(reason).append("\r\n");
}

void WireHead::field(std::string_view name, std::string_view value) {
  out_.append(name).append(": ").append(value).append("\r\n");
}

void WireHead::content_length(std::uint64_t length) {
  out_.append("Content-Length: ");
  append_number(out_, length);
  out_.append("\r\n");
}

void WireHead::keep_alive(unsigned version, bool keep) {
  if (version >= 11 && !keep) field("Connection", "close");
  if (version < 11 && keep) field("Connection", "keep-alive");
}

ChunkSize::ChunkSize(std::size_t bytes) {
  digits_[digits_.size() - 2] = '\r';
  digits_[digits_.size() - 1] = '\n';
  std::size_t at = digits_.size() - 2;
  do {
    digits_[--at] = "0123456789abcdef"[bytes & 0xF];
    bytes >>= 4;
  } while (bytes != 0);
  start_ = at;
}

}  // namespace causeway::http
