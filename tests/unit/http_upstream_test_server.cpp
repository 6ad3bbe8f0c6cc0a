#include "http_upstream_test_server.h"

#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

namespace causeway::http::scripted {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::optional<ReceivedRequest> TestPeer::read() {
  bhttp::request_parser<bhttp::string_body> parser;
  beast::error_code ec;
  bhttp::read(socket_, buffer_, parser, ec);
  if (ec) return std::nullopt;
  auto request = parser.release();
  server_.note(request);
  return request;
}

void TestPeer::write(std::string_view raw) {
  beast::error_code ignored;
  asio::write(socket_, asio::buffer(raw.data(), raw.size()), ignored);
}

void TestPeer::close() {
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
}

void TestPeer::wait_for_close() {
  char sink[4096];
  beast::error_code ec;
  while (!ec) socket_.read_some(asio::buffer(sink), ec);
}

TestServer::TestServer(Script script) : script_(std::move(script)), acceptor_(context_) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

TestServer::~TestServer() {
  stopping_.store(true);
  // Wakes the blocking accept() and every peer's blocking read.
  ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
  acceptor_thread_.join();
  {
    std::lock_guard lock(mutex_);
    for (int descriptor : descriptors_) ::shutdown(descriptor, SHUT_RDWR);
  }
  for (auto& peer : peers_) peer.join();
}

std::vector<ReceivedRequest> TestServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void TestServer::accept_loop() {
  for (int index = 0;; ++index) {
    beast::error_code ec;
    tcp::socket socket(context_);
    acceptor_.accept(socket, ec);
    if (ec || stopping_.load()) return;
    accepted_.fetch_add(1);
    const int open = open_.fetch_add(1) + 1;
    int most = most_open_.load();
    while (open > most && !most_open_.compare_exchange_weak(most, open)) {
    }
    std::lock_guard lock(mutex_);
    descriptors_.push_back(socket.native_handle());
    peers_.emplace_back([this, socket = std::move(socket), index]() mutable { run_peer(std::move(socket), index); });
  }
}

void TestServer::run_peer(tcp::socket socket, int index) {
  TestPeer peer(*this, socket, index);
  script_(peer);
  // Closed under the lock so that the destructor never shuts down a reused descriptor.
  std::lock_guard lock(mutex_);
  std::erase(descriptors_, socket.native_handle());
  open_.fetch_sub(1);
  beast::error_code ignored;
  socket.close(ignored);
}

void TestServer::note(const ReceivedRequest& request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(request);
}

std::string response_text(int status, std::string_view body, std::string_view headers) {
  return "HTTP/1.1 " + std::to_string(status) + " Whatever\r\n" + std::string(headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TestServer::Script serve(std::function<std::string(const ReceivedRequest&)> answer) {
  return [answer = std::move(answer)](TestPeer& peer) {
    while (auto request = peer.read()) peer.write(answer(*request));
  };
}

std::uint16_t closed_port() {
  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace causeway::http::scripted
