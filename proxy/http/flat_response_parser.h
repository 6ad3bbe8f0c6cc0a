#pragma once
// The forward path's response parser: Beast's parser for the framing, with the head's
// fields kept in a FlatFields the upstream connection owns and the body copied into
// whatever window the caller opens, as Beast's buffer_body does. A relay reads each
// field once, to write it on, and never needs Beast's `fields` tree.

#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <string_view>

#include "http/flat_fields.h"

namespace causeway::http {

class FlatResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  // Clears `fields`, which the parser fills and which must outlive it.
  explicit FlatResponseParser(FlatFields& fields) : fields_(fields) { fields_.clear(); }

  int status() const { return status_; }
  unsigned version() const { return version_; }
  std::string_view reason() const { return fields_.reason(); }
  // The head's fields; a chunked body's trailer is not kept.
  const FlatFields& fields() const { return fields_; }

  // Where the next body bytes go; a read stops with need_buffer when the window is full.
  void open_window(char* data, std::size_t size) {
    window_ = data;
    window_left_ = size;
  }
  std::size_t window_left() const { return window_left_; }

 private:
  using error_code = boost::beast::error_code;
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int version, error_code&) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, error_code&) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, error_code& ec) override { return take(body, ec); }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code& ec) override {
    return take(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t take(boost::beast::string_view body, error_code& ec);

  FlatFields& fields_;
  int status_ = 0;
  unsigned version_ = 11;
  char* window_ = nullptr;
  std::size_t window_left_ = 0;
};

}  // namespace causeway::http
