#include "http/transport.h"

namespace causeway::http {

Transport::Transport(boost::asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}

Transport::Transport(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> context)
    : context_(std::move(context)), tls_(std::in_place, std::move(socket), *context_) {}

}  // namespace causeway::http
