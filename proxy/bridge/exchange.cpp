#include "bridge/exchange.h"

#include <atomic>

#include "bridge/failure.h"

namespace causeway::bridge {

const std::string* find_header(const Headers& headers, std::string_view lower_name) {
  for (const auto& header : headers) {
    if (header.name == lower_name) return &header.value;
  }
  return nullptr;
}

struct Responder::State {
  Sink sink;
  std::atomic<bool> answered{false};

  ~State() {
    if (!answered.load()) sink(failure_response(Failure::internal, "the request was dropped without an answer"));
  }
};

Responder::Responder(Sink sink) : state_(std::make_shared<State>()) { state_->sink = std::move(sink); }

void Responder::operator()(Response response) const {
  if (state_->answered.exchange(true)) return;  // a second answer is a bug upstream; the first one stands
  state_->sink(std::move(response));
}

}  // namespace causeway::bridge
