#pragma once
// Outgoing HTTP/1.1 heads written straight into one flat string that a connection
// keeps from request to request, and chunked framing written by hand: no Beast
// `fields` node per header and no serializer walking buffer sequences, which were
// the forward path's largest costs in user space (bench/NOTES.md, "Forward").
// Values are written as given: callers pass fields a parser accepted or ones they made.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace causeway::http {

class WireHead {
 public:
  // Starts a head in `out`, dropping what it held; its capacity stays for the next one.
  explicit WireHead(std::string& out) : out_(out) { out_.clear(); }

  // "METHOD prefix+target HTTP/1.1"
  void request_line(std::string_view method, std::string_view prefix, std::string_view target);
  // "HTTP/1.x status reason"; an empty reason is the status code's usual one.
  void status_line(unsigned version, int status, std::string_view reason = {});
  void field(std::string_view name, std::string_view value);
  void content_length(std::uint64_t length);
  // What the connection does after this message, where the version's default says otherwise:
  // HTTP/1.1 keeps a connection unless told, HTTP/1.0 closes it unless told.
  void keep_alive(unsigned version, bool keep);
  // The blank line after the fields: the head is whole.
  void end() { out_ += "\r\n"; }

 private:
  std::string& out_;
};

// A chunk's size line, "1a2b\r\n", for chunked framing.
class ChunkSize {
 public:
  explicit ChunkSize(std::size_t bytes);
  std::string_view text() const { return {digits_.data() + start_, digits_.size() - start_}; }

 private:
  std::array<char, 20> digits_{};
  std::size_t start_ = 0;
};

inline constexpr std::string_view kChunkEnd = "\r\n";     // after a chunk's data
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";  // the end of a chunked body, no trailer

}  // namespace causeway::http
