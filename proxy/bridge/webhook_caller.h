#pragma once
// What the callback sender needs from an HTTP client: one POST to an absolute URL that
// the allow list passed, never following a redirect. The HTTP adapter implements it.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "bridge/exchange.h"
#include "policy/callback_url.h"

namespace causeway::bridge {

struct WebhookPost {
  policy::CallbackUrl url;
  Headers headers;  // lower-case names; Host and Content-Length are the client's
  std::string body;
  std::chrono::milliseconds timeout{10000};  // the whole exchange
};

struct WebhookResult {
  enum class Failure { none, connect, timeout, other };
  std::optional<Response> response;  // the receiver answered
  Failure failure = Failure::none;   // otherwise what went wrong
  std::string error;
};

class WebhookCaller {
 public:
  virtual ~WebhookCaller() = default;
  // `done` runs once, on any thread.
  virtual void post(WebhookPost post, std::function<void(WebhookResult)> done) = 0;
};

}  // namespace causeway::bridge
