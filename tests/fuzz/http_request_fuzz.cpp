// Feeds arbitrary bytes to the request parser with the listener's limits and then to
// our head checks: neither may crash, and a rejection must carry a 4xx status.
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <cstdlib>

#include "http/request_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bhttp = boost::beast::http;
  causeway::config::HttpLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 4096;
  limits.max_headers = 20;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  if (auto rejection = causeway::http::check_request_head(parser.get().base(), limits)) {
    int status = causeway::bridge::status_of(rejection->failure);
    if (status < 400 || status > 499 || rejection->message.empty()) std::abort();
  }
  return 0;
}
