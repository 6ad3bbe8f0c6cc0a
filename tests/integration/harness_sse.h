#pragma once
// A stream client (stream: sse) on a raw socket, as curl -N or EventSource would be:
// sends the GET, reads the head, then decodes the chunked body into events and
// comments as they come.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"

namespace causeway::testing {

struct SseEvent {
  std::string id;
  std::string type;
  std::string data;  // data: lines joined by "\n", as EventSource joins them
};

// Raises this process's open-file limit towards `wanted` (a child it starts inherits it),
// for tests with many clients; the limit it has now.
std::size_t raise_open_files(std::size_t wanted);

class SseClient;
// The data of the next `count` events, fewer when the stream goes quiet for `timeout`.
std::vector<std::string> next_data(SseClient& client, std::size_t count, Duration timeout = 10s);

// How many of the clients get `count` events each, none waiting more than `timeout` for one.
int clients_with_all(std::vector<std::unique_ptr<SseClient>>& clients, std::size_t count, Duration timeout = 10s);

class SseClient {
 public:
  // A small receive_buffer makes a reader that does not read look slow at once.
  SseClient(const Address& address, const std::string& path, const Headers& headers = {}, int receive_buffer = 0);
  ~SseClient() { close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  void close();
  int fd() const { return fd_; }

  // The status line and headers; empty when none came in time.
  std::string head(Duration timeout = 10s);
  int status(Duration timeout = 10s);
  // The next event (a block with an id, event or data line); comments seen on the way
  // are counted in comments().
  std::optional<SseEvent> next(Duration timeout = 10s);
  // Waits for a comment line (": heartbeat"); true when one came.
  bool comment(Duration timeout);
  // True once the server closed the connection; whether the chunked body ended with its last chunk.
  bool closed(Duration timeout);
  bool ended_cleanly() const { return last_chunk_; }
  std::size_t comments() const { return comments_; }
  // Reads what arrived now without waiting; false once closed.
  bool pump();

 private:
  void dechunk();  // moves whole chunks from raw_ to body_
  std::optional<SseEvent> take_event();
  void fill_until(Duration timeout, const std::function<bool()>& enough);

  int fd_ = -1;
  std::string raw_;
  std::string head_;
  std::string body_;
  std::vector<SseEvent> pending_;
  std::size_t comments_ = 0;
  bool eof_ = false;
  bool last_chunk_ = false;
};

}  // namespace causeway::testing
