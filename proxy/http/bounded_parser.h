#pragma once
// A request parser that holds every field of a request, head and chunked trailer alike,
// to the listener's limits, and never lets Beast throw: Beast bounds only the part of a
// head still unparsed in one read, not trailers at all, and its fields container throws
// std::length_error for a name or value of 64 KiB or more, from inside the read
// operation where no coroutine can catch it.

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <limits>
#include <string_view>

namespace causeway::http {

// What is left of a request's field allowance: bytes as written on the wire (the
// request line, each "name: value\r\n") and the number of fields.
struct FieldBudget {
  enum class Over { nothing, bytes, fields, one_field };
  std::size_t bytes = 0;
  std::size_t fields = 0;
  bool line_counted = false;
  Over over = Over::nothing;  // why the parser stopped with header_limit, if it did
};

template <class Body>
class BoundedRequestParser : public boost::beast::http::request_parser<Body> {
  using Base = boost::beast::http::request_parser<Body>;

 public:
  BoundedRequestParser(std::size_t max_header_bytes, std::size_t max_headers)
      : budget_{max_header_bytes, max_headers, false, FieldBudget::Over::nothing} {
    // Beast's own bound, for one read of a head: a whole head over the limit fails here too.
    this->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  }

  // Takes over a parser whose head is read, to read the body into another Body type;
  // the trailer is still held to what is left of the allowance.
  template <class OtherBody>
  explicit BoundedRequestParser(BoundedRequestParser<OtherBody>&& other)
      : Base(static_cast<boost::beast::http::request_parser<OtherBody>&&>(other)), budget_(other.budget()) {}

  const FieldBudget& budget() const { return budget_; }

  // Whether a head that failed with header_limit got as far as its request line: a line
  // longer than the whole allowance is a 414, not a 431.
  bool request_line_read() const { return !this->get().target().empty(); }

 private:
  // Beast's basic_fields stores offsets in 16 bits: longer names or values throw.
  static constexpr std::size_t kMaxFieldPart = std::numeric_limits<std::uint16_t>::max() - 2;

  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override {
    if (!budget_.line_counted) {
      budget_.line_counted = true;
      const auto& head = this->get();
      // "METHOD SP target SP HTTP/1.1 CRLF"
      if (!spend(head.method_string().size() + head.target().size() + 12, 0)) {
        ec = boost::beast::http::error::header_limit;
        return;
      }
    }
    if (name_string.size() >= kMaxFieldPart || value.size() >= kMaxFieldPart) {
      budget_.over = FieldBudget::Over::one_field;
      ec = boost::beast::http::error::header_limit;
      return;
    }
    if (!spend(name_string.size() + value.size() + 4, 1)) {
      ec = boost::beast::http::error::header_limit;
      return;
    }
    this->get().insert(name, name_string, value);
  }

  bool spend(std::size_t bytes, std::size_t fields) {
    if (fields > budget_.fields) {
      budget_.over = FieldBudget::Over::fields;
      return false;
    }
    if (bytes > budget_.bytes) {
      budget_.over = FieldBudget::Over::bytes;
      return false;
    }
    budget_.bytes -= bytes;
    budget_.fields -= fields;
    return true;
  }

  FieldBudget budget_;
};

}  // namespace causeway::http
