#include "http/flat_response_parser.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstring>

namespace causeway::http {

void FlatResponseParser::on_response_impl(int code, boost::beast::string_view reason, int version, error_code&) {
  status_ = code;
  version_ = static_cast<unsigned>(version);
  fields_.set_reason({reason.data(), reason.size()});
}

void FlatResponseParser::on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                                       boost::beast::string_view value, error_code&) {
  // Trailer fields come after the head went on; Causeway does not relay trailers.
  if (is_header_done()) return;
  fields_.add(name, {name_string.data(), name_string.size()}, {value.data(), value.size()});
}

std::size_t FlatResponseParser::take(boost::beast::string_view body, error_code& ec) {
  const std::size_t size = std::min(body.size(), window_left_);
  if (size > 0) std::memcpy(window_, body.data(), size);
  window_ += size;
  window_left_ -= size;
  if (size < body.size()) ec = boost::beast::http::error::need_buffer;
  return size;
}

}  // namespace causeway::http
