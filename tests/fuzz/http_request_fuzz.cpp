// Requests as a listener reads them: bytes arrive in pieces whose sizes the input picks,
// through the bounded parser with a body limit, head first (then our head checks), then
// body, chunk extensions and trailers, then the next pipelined request. Nothing may
// throw or crash; a request that completes kept to every limit; a rejection is a 4xx;
// and how the bytes were split never changes what a complete request reads as.
//
// Input: byte 0 holds the number of piece sizes (low 3 bits) and the limits (the rest:
// 0x78 is the roomiest); then that many piece sizes less one, cycled over the wire
// bytes that follow.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/bounded_parser.h"
#include "http/request_checks.h"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Parser = causeway::http::BoundedRequestParser<bhttp::string_body>;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// What one request read as: its error, or its head, trailer fields and body.
struct Outcome {
  beast::error_code error;
  std::string head;  // method, target, version and every field, head and trailer
  std::string body;
  bool keep_alive = false;
  bool operator==(const Outcome&) const = default;
};

// The wire bytes, handed out in reads of the sizes given (cycled), into a buffer of a
// bounded size, as the listener's buffer is: bytes a parser did not take stay in front.
class Connection {
 public:
  Connection(std::string_view wire, std::vector<std::size_t> pieces, std::size_t buffer_bound)
      : wire_(wire), pieces_(std::move(pieces)), buffer_(buffer_bound) {}

  // Beast's read loop: parse what is buffered, read more while the parser needs it.
  // `header_only` stops once the head is done, as async_read_header does.
  beast::error_code read(Parser& parser, bool header_only) {
    parser.eager(!header_only);
    for (;;) {
      if (header_only ? parser.is_header_done() : parser.is_done()) return {};
      beast::error_code ec;
      if (buffer_.size() > 0) {
        const std::size_t used = parser.put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec && ec != bhttp::error::need_more) return ec;
        if (!ec && used > 0) continue;
      }
      if (sent_ == wire_.size()) {
        parser.put_eof(ec);
        return ec ? ec : bhttp::error::end_of_stream;
      }
      const std::size_t room = buffer_.max_size() - buffer_.size();
      if (room == 0) return bhttp::error::buffer_overflow;
      std::size_t take = pieces_.empty() ? wire_.size() : pieces_[next_++ % pieces_.size()];
      take = std::min({take, room, wire_.size() - sent_});
      std::memcpy(buffer_.prepare(take).data(), wire_.data() + sent_, take);
      buffer_.commit(take);
      sent_ += take;
    }
  }

 private:
  std::string_view wire_;
  std::vector<std::size_t> pieces_;
  std::size_t next_ = 0;
  std::size_t sent_ = 0;
  beast::flat_buffer buffer_;
};

std::string describe_head(const Parser& parser) {
  const auto& message = parser.get();
  std::string text = std::string(message.method_string()) + " " + std::string(message.target()) + " " +
                     std::to_string(message.version()) + "\n";
  for (const auto& field : message) text += std::string(field.name_string()) + ": " + std::string(field.value()) + "\n";
  return text;
}

// The fields a request keeps, head and trailer, counted as the budget counts them.
void check_within_limits(const Parser& parser, const causeway::config::HttpLimits& limits) {
  const auto& message = parser.get();
  std::size_t bytes = message.method_string().size() + message.target().size() + 12;
  std::size_t fields = 0;
  for (const auto& field : message) {
    bytes += field.name_string().size() + field.value().size() + 4;
    ++fields;
  }
  check(fields <= limits.max_headers);
  check(fields == 0 || bytes <= limits.max_header_bytes);
}

// Reads requests off one connection until one fails or does not keep it alive.
std::vector<Outcome> read_requests(std::string_view wire, const std::vector<std::size_t>& pieces,
                                   const causeway::config::HttpLimits& limits) {
  // The listener's buffer holds a head and 64 KiB more; a smaller slack lets short
  // inputs reach the overflow of a long chunk header or trailer.
  Connection connection(wire, pieces, limits.max_header_bytes + 256);
  std::vector<Outcome> outcomes;
  for (int request = 0; request < 8; ++request) {
    Outcome outcome;
    Parser parser(limits.max_header_bytes, limits.max_headers);
    parser.body_limit(limits.max_body_bytes);
    outcome.error = connection.read(parser, true);
    if (!outcome.error) {
      check_within_limits(parser, limits);
      if (auto rejection = causeway::http::check_request_head(parser.get().base(), limits)) {
        const int status = causeway::bridge::status_of(rejection->failure);
        check(status >= 400 && status <= 499 && !rejection->message.empty());
        outcome.head = "rejected " + std::to_string(status) + ": " + rejection->message;
        outcomes.push_back(std::move(outcome));
        break;
      }
      outcome.error = connection.read(parser, false);
    }
    if (outcome.error) {
      // A head over the limit has not been kept, so what it read does not count.
      outcomes.push_back(Outcome{outcome.error, {}, {}, false});
      break;
    }
    check_within_limits(parser, limits);
    check(parser.get().body().size() <= limits.max_body_bytes);
    outcome.head = describe_head(parser);
    outcome.body = parser.get().body();
    outcome.keep_alive = parser.keep_alive();
    outcomes.push_back(std::move(outcome));
    if (!parser.keep_alive()) break;
  }
  return outcomes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece_count = data[0] & 7;
  if (size < 1 + piece_count) return 0;
  causeway::config::HttpLimits limits;
  const unsigned choice = data[0] >> 3;
  limits.max_headers = 1 + (choice & 3) * 7;                          // 1 to 22 fields
  limits.max_header_bytes = std::size_t{128} << ((choice >> 2) & 3);  // 128 to 1024 bytes
  limits.max_body_bytes = (choice & 16) ? 16 : 4096;
  std::vector<std::size_t> pieces;
  for (std::size_t i = 0; i < piece_count; ++i) pieces.push_back(std::size_t{1} + data[1 + i]);
  const std::string_view wire(reinterpret_cast<const char*>(data) + 1 + piece_count, size - 1 - piece_count);

  try {
    const std::vector<Outcome> split = read_requests(wire, pieces, limits);
    const std::vector<Outcome> whole = read_requests(wire, {}, limits);
    // The requests both readings completed read the same, whatever the pieces.
    for (std::size_t i = 0; i < split.size() && i < whole.size(); ++i) {
      if (split[i].error || whole[i].error) break;
      check(split[i] == whole[i]);
    }
  } catch (...) {
    check(false);  // the parser must never throw
  }
  return 0;
}
