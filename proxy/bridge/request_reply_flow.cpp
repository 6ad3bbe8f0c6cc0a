#include "bridge/request_reply_flow.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "bridge/callback_sender.h"
#include "bridge/correlation_id.h"
#include "bridge/event_flow.h"
#include "bridge/event_message.h"
#include "bridge/failure.h"
#include "bridge/prefer.h"

namespace causeway::bridge {

using Outcome = DeliveryReport::Outcome;
using Clock = std::chrono::steady_clock;

namespace {

// Long polls are bounded so that a forgotten client cannot hold a connection for hours.
constexpr std::chrono::seconds kMaxPollWait{60};

Response accepted_async(const std::string& id) {
  auto location = reply_location(id);
  return Response{202,
                  {{"content-type", "application/json"}, {"location", location}},
                  boost::json::serialize(boost::json::object{{"id", id}, {"location", location}})};
}

}  // namespace

std::string reply_location(const std::string& id) { return std::string(config::kReplyPathPrefix) + id; }

struct RequestReplyFlow::Shared {
  FlowMetrics& metrics;
  std::string broker;
  metrics::Histogram& produce_duration;
};

RequestReplyFlow::RequestReplyFlow(const config::Route& route, const config::Broker& broker, ReplyChannel reply,
                                   std::shared_ptr<MessageProducer> producer, ReplyWaiters& waiters,
                                   FlowMetrics& metrics, CallbackSender* callbacks)
    : route_(route),
      target_(std::get<config::TopicTarget>(route.to)),
      wire_(broker.headers),
      reply_(std::move(reply)),
      producer_(std::move(producer)),
      waiters_(waiters),
      reply_headers_(std::make_shared<const std::vector<std::string>>(route.headers)),
      shared_(std::make_shared<Shared>(Shared{metrics, broker.name, metrics.produce_duration.with({broker.name})})),
      callbacks_(callbacks) {
  if (route.callback && callbacks) {
    callback_ = std::make_shared<const CallbackRoute>(CallbackRoute{route.name, *route.callback, producer_});
  }
}

std::optional<std::variant<policy::CallbackUrl, Response>> RequestReplyFlow::callback_url(const Request& request) const {
  // Callbacks are an HTTP listener's: gRPC metadata of that name means nothing here.
  const auto* http = route_.http_source();
  if (!callback_ && (!http || http->rpc)) return std::nullopt;
  const std::string* value =
      find_header(request.headers, route_.callback ? route_.callback->header : config::Callback{}.header);
  if (!value) return std::nullopt;
  auto refuse = [&](const std::string& why) {
    if (callbacks_) callbacks_->count_rejected(route_.name);
    return failure_response(Failure::callback_refused, why, route_.name);
  };
  if (!callback_) return refuse("this route sends no callbacks (it has no 'callback:' block with an allow list)");
  auto parsed = policy::parse_callback_url(*value);
  if (auto* problem = std::get_if<std::string>(&parsed)) return refuse("callback URL refused: " + *problem);
  auto& url = std::get<policy::CallbackUrl>(parsed);
  if (!policy::allows(callback_->settings.allow, url)) {
    return refuse("callback URL " + url.text() + " is not in the route's allow list");
  }
  return std::move(url);
}

void RequestReplyFlow::handle(Request request, routing::Captures captures, Responder respond) {
  // Checked first: a refused URL produces nothing.
  auto callback = callback_url(request);
  if (callback && std::holds_alternative<Response>(*callback)) {
    respond(std::get<Response>(std::move(*callback)));
    return;
  }
  auto stamp = stamp_request(route_, request);
  const bool async = callback || read_preferences(request.headers).respond_async;
  const bool keyed = find_header(request.headers, "idempotency-key") != nullptr;
  // Before the message takes the body.
  std::optional<RequestDigest> digest;
  if (keyed) digest = request_digest(request.method, request.path, request.query, request.body);
  auto built = build_event_message(route_, target_, wire_, request, captures, stamp, reply_, producer_.get());
  if (auto* problem = std::get_if<std::string>(&built)) {
    respond(failure_response(Failure::bad_request, *problem, route_.name));
    return;
  }

  const auto now = Clock::now();
  ReplyWaiters::Wait wait{stamp.correlation_id, route_.name, now + target_.timeout, async || keyed,
                          async ? std::nullopt : std::optional<Responder>(respond), reply_headers_};
  wait.digest = digest;
  std::optional<CallbackSender::Ticket> ticket;
  if (callback) {
    ticket = callbacks_->open(callback_, std::get<policy::CallbackUrl>(std::move(*callback)), stamp.correlation_id);
    wait.notify = callbacks_->on_reply(*ticket);
  }
  const auto started = waiters_.start(std::move(wait), now);
  // A duplicate joins (or replays) the first request, callback included: this one schedules none.
  if (ticket && started != ReplyWaiters::Start::waiting) callbacks_->drop(*ticket);
  switch (started) {
    // A synchronous caller heard 503 or 422 from the waiters; an asynchronous one has no wait there.
    case ReplyWaiters::Start::full:
      if (async) respond(failure_response(Failure::overloaded, "too many requests wait for a reply", route_.name));
      return;
    case ReplyWaiters::Start::reused:
      if (async) respond(key_reused_response(route_.name));
      return;
    case ReplyWaiters::Start::joined:
    case ReplyWaiters::Start::replayed:
      if (async) respond(accepted_async(stamp.correlation_id));
      return;
    case ReplyWaiters::Start::waiting: break;
  }

  auto& message = std::get<OutboundMessage>(built);
  std::string topic = message.topic;
  producer_->produce(std::move(message), [shared = shared_, waiters = &waiters_, respond, async,
                                         id = std::move(stamp.correlation_id), topic = std::move(topic),
                                         route = route_.name, started = now, callbacks = callbacks_,
                                         ticket](const DeliveryReport& report) {
    shared->produce_duration.observe(std::chrono::duration<double>(Clock::now() - started).count());
    shared->metrics.produced.with({shared->broker, topic, std::string(delivery_result(report.outcome))}).inc();
    // Stored, or perhaps stored: a reply may come, so the wait goes on until its timeout.
    if (report.outcome == Outcome::stored || report.outcome == Outcome::maybe_stored) {
      if (async) respond(accepted_async(id));
      return;
    }
    auto failure = produce_failure(report, route);
    waiters->abandon(id, failure);
    if (ticket) callbacks->drop(*ticket);
    if (async) respond(std::move(failure));
  });
}

void ReplyPollFlow::handle(Request request, routing::Captures captures, Responder respond) {
  const auto* id = routing::find_capture(captures, "id");
  auto wait = read_preferences(request.headers).wait;
  const auto now = Clock::now();
  std::optional<SteadyTime> until;
  if (wait && wait->count() > 0) until = now + std::min(*wait, kMaxPollWait);
  waiters_.poll(id ? *id : std::string(), until, now, std::move(respond));
}

}  // namespace causeway::bridge
