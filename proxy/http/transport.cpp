#include "http/transport.h"

namespace causeway::http {

Transport::State::State(Socket socket, std::shared_ptr<boost::asio::ssl::context> tls_context)
    : context(std::move(tls_context)), timer(socket.get_executor()) {
  if (context) {
    tls.emplace(std::move(socket), *context);
  } else {
    plain.emplace(std::move(socket));
  }
}

Transport::Transport(Socket socket) : state_(std::make_shared<State>(std::move(socket), nullptr)) {}

Transport::Transport(Socket socket, std::shared_ptr<boost::asio::ssl::context> context)
    : state_(std::make_shared<State>(std::move(socket), std::move(context))) {}

void Transport::expires_at(Clock::time_point when) {
  state_->deadline = when;
  // A timer that ends sooner waits again when it fires; only an earlier deadline re-arms.
  if (when < state_->armed && !state_->timed_out) arm(state_, when);
}

void Transport::arm(const std::shared_ptr<State>& state, Clock::time_point when) {
  state->armed = when;
  state->timer.expires_at(when);  // a wait still pending ends with operation_aborted
  state->timer.async_wait([weak = std::weak_ptr<State>(state)](const boost::beast::error_code& ec) {
    if (ec) return;
    if (auto alive = weak.lock()) fired(alive);
  });
}

void Transport::fired(const std::shared_ptr<State>& state) {
  state->armed = Clock::time_point::max();
  if (state->deadline == Clock::time_point::max() || state->timed_out) return;
  if (Clock::now() < state->deadline) {
    arm(state, state->deadline);
    return;
  }
  state->timed_out = true;
  boost::beast::error_code ignored;
  state->socket().close(ignored);
}

void Transport::cancel() {
  boost::beast::error_code ignored;
  socket().cancel(ignored);
}

void Transport::drop_tls() {
  if (!state_->tls) return;
  Socket socket = std::move(state_->tls->next_layer());
  state_->tls.reset();
  state_->plain.emplace(std::move(socket));
}

}  // namespace causeway::http
