#pragma once
// A scripted HTTP/1.1 server on 127.0.0.1 for the upstream client's tests: each accepted
// connection runs the test's script on its own thread, with blocking sockets, so a
// script reads like the conversation it has: read, wait, answer, close, or misbehave.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace causeway::http::scripted {

using ReceivedRequest = boost::beast::http::request<boost::beast::http::string_body>;

class TestServer;

class TestPeer {
 public:
  TestPeer(TestServer& server, boost::asio::ip::tcp::socket& socket, int index)
      : server_(server), socket_(socket), index_(index) {}
  int index() const { return index_; }  // 0 for the server's first connection
  // The next request; nullopt once the client closed or sent something unparsable.
  std::optional<ReceivedRequest> read();
  void write(std::string_view raw);
  void close();           // at once, both ways
  void wait_for_close();  // until the client closes, or the server stops

 private:
  TestServer& server_;
  boost::asio::ip::tcp::socket& socket_;
  boost::beast::flat_buffer buffer_;
  int index_;
};

class TestServer {
 public:
  using Script = std::function<void(TestPeer&)>;
  explicit TestServer(Script script);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  int most_open() const { return most_open_.load(); }  // the most connections open at once
  std::vector<ReceivedRequest> requests() const;        // every request read so far, in order

 private:
  friend class TestPeer;
  void accept_loop();
  void run_peer(boost::asio::ip::tcp::socket socket, int index);
  void note(const ReceivedRequest& request);

  Script script_;
  boost::asio::io_context context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int> most_open_{0};
  mutable std::mutex mutex_;
  std::vector<int> descriptors_;  // open peers, shut down to unblock them when stopping
  std::vector<ReceivedRequest> requests_;
  std::vector<std::thread> peers_;
  std::thread acceptor_thread_;
};

// A whole response with Content-Length; `headers` are extra "Name: value\r\n" lines.
std::string response_text(int status, std::string_view body, std::string_view headers = "");

// A script answering every request on the connection with `answer(request)` until the client closes.
TestServer::Script serve(std::function<std::string(const ReceivedRequest&)> answer);

// A port nothing listens on (bound once, then closed).
std::uint16_t closed_port();

}  // namespace causeway::http::scripted
