#pragma once
// HTTP -> broker request, correlated reply -> HTTP response. The caller waits for the
// reply (or gets 202 + Location with Prefer: respond-async); its wait is registered
// before the request is produced, so a fast reply cannot be missed.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bridge/broker_client.h"
#include "bridge/flow.h"
#include "bridge/flow_metrics.h"
#include "bridge/message_producer.h"
#include "bridge/reply_waiters.h"
#include "config/config.h"

namespace causeway::bridge {

class CallbackSender;
struct CallbackRoute;

// With a `callback:` block, a request carrying the callback header is answered 202 at
// once and its reply POSTed to the URL it names (callback_sender.h), when the URL is
// allowed; without one, such a request is refused rather than left waiting for a call
// that never comes.
class RequestReplyFlow : public Flow {
 public:
  RequestReplyFlow(const config::Route& route, const config::Broker& broker, ReplyChannel reply,
                   std::shared_ptr<MessageProducer> producer, ReplyWaiters& waiters, FlowMetrics& metrics,
                   CallbackSender* callbacks = nullptr);
  void handle(Request request, routing::Captures captures, Responder respond) override;

 private:
  struct Shared;
  // The callback URL a request names: nullopt without one; a 400 when it is refused.
  std::optional<std::variant<policy::CallbackUrl, Response>> callback_url(const Request& request) const;
  const config::Route& route_;
  const config::TopicTarget& target_;
  const config::WireHeaders& wire_;
  ReplyChannel reply_;
  std::shared_ptr<MessageProducer> producer_;  // shared: a reload may drop its broker while requests run
  ReplyWaiters& waiters_;
  std::shared_ptr<const std::vector<std::string>> reply_headers_;
  std::shared_ptr<Shared> shared_;
  CallbackSender* callbacks_;
  std::shared_ptr<const CallbackRoute> callback_;  // null without a callback block
};

// GET /_causeway/replies/{id}: the reply of an asynchronous request (Prefer: wait=N long-polls).
class ReplyPollFlow : public Flow {
 public:
  explicit ReplyPollFlow(ReplyWaiters& waiters) : waiters_(waiters) {}
  void handle(Request request, routing::Captures captures, Responder respond) override;

 private:
  ReplyWaiters& waiters_;
};

// The Location of an asynchronous request's reply.
std::string reply_location(const std::string& id);

}  // namespace causeway::bridge
