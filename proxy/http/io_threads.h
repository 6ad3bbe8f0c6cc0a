#pragma once
// The event loops: one io_context per thread, so a connection's coroutine, its
// timers and its socket never need a strand.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace causeway::http {

class IoThreads {
 public:
  IoThreads(std::size_t count, std::string name);
  ~IoThreads();  // stops and joins
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  // Makes Asio's per-socket reactor state for `per_loop` sockets on each loop now, side by
  // side, beyond what an earlier call made. Asio never frees that state; made during a
  // burst, each piece sits among the connections' buffers and keeps their pages resident
  // after they close (bench/NOTES.md "What memory stays after a burst").
  void reserve_sockets(std::size_t per_loop);
  void start();
  void stop();  // abandons work still queued; call after draining
  std::size_t size() const;
  boost::asio::io_context& context(std::size_t index);
  boost::asio::io_context& next();  // round-robin, for new connections
  std::size_t index_of(const boost::asio::io_context& context) const;
  // Queues `job` on every loop, to run on each loop's thread.
  void post_to_each(const std::function<void()>& job);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::http
