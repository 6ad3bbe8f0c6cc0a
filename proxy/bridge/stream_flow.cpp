#include "bridge/stream_flow.h"

#include <algorithm>
#include <cctype>

#include "bridge/body_stream.h"
#include "bridge/failure.h"

namespace causeway::bridge {

namespace {

// What a client is sent first: how long to wait before reconnecting (EventSource's
// default is 3 s as well, but curl users see at once that the stream is open).
constexpr std::string_view kOpening = "retry: 3000\n\n";
constexpr std::string_view kHeartbeat = ": heartbeat\n\n";

// A field value on one line: an `id:` or `event:` may not break the event's framing.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return out;
}

// One client of a stream route, as its subscription sees it. It holds the body weakly:
// the listener owns the stream, and the client's leaving ends the subscription.
class StreamClient : public StreamReceiver {
 public:
  using Render = std::function<std::optional<std::string>(const InboundMessage&)>;
  StreamClient(std::weak_ptr<BodyStream> body, const Render& render, metrics::Counter& events)
      : body_(std::move(body)), render_(render), events_(events) {}

  void event(const InboundMessage& message) override {
    auto body = body_.lock();
    if (!body) return;
    auto bytes = render_(message);
    if (bytes && body->push(std::move(*bytes))) events_.inc();
  }
  void ended(const std::string&) override {
    if (auto body = body_.lock()) body->end(BodyStream::kBroker);
  }
  bool ready_for_more() const override {
    auto body = body_.lock();
    return !body || body->buffered() < body->max_buffered() / 2;
  }

 private:
  std::weak_ptr<BodyStream> body_;
  Render render_;
  metrics::Counter& events_;
};

// A destination a path variable named: the brokers' common alphabet, so that a client
// cannot make Causeway read something no route meant.
bool plain_name(std::string_view name) {
  return !name.empty() && name.size() <= 249 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

std::string sse_event(std::string_view id, std::string_view type, std::string_view data) {
  std::string out;
  out.reserve(id.size() + type.size() + data.size() + 32);
  out.append("id: ").append(one_line(id)).append("\nevent: ").append(one_line(type)).append("\n");
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = data.find_first_of("\r\n", start);
    out.append("data: ").append(data.substr(start, end == std::string_view::npos ? end : end - start)).append("\n");
    if (end == std::string_view::npos) break;
    start = end + (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n' ? 2 : 1);
    if (start == data.size()) break;  // a final line break ends the last line, it opens no other
  }
  out.append("\n");
  return out;
}

std::string event_type(const InboundMessage& message) {
  if (const auto* type = find_header(message.headers, "type")) return *type;
  if (const auto* type = find_header(message.headers, "ce_type")) return *type;
  return message.topic;
}

StreamFraming sse_framing() {
  return StreamFraming{
      [](const InboundMessage& message) { return sse_event(message.position, event_type(message), message.value); },
      std::string(kOpening),
      std::string(kHeartbeat),
      {{"content-type", "text/event-stream"},
       {"cache-control", "no-cache"},
       {"x-accel-buffering", "no"}},  // a proxy in front must not hold events back
      true};
}

StreamFlow::StreamFlow(const config::Route& route, std::shared_ptr<BrokerClient> broker, FlowMetrics& metrics,
                       StreamFraming framing)
    : route_(route),
      target_(std::get<config::TopicTarget>(route.to)),
      broker_(std::move(broker)),
      metrics_(metrics),
      framing_(std::move(framing)) {}

void StreamFlow::handle(Request request, routing::Captures captures, Responder respond) {
  const auto& options = *target_.stream;
  auto body = std::make_shared<BodyStream>(options.client_buffer, options.heartbeat, framing_.idle_bytes);
  StreamRequest wanted{route_.name, target_.topic.render(captures), std::nullopt, std::nullopt};
  // A key that renders empty (a gRPC request that leaves its field unset) picks no key: every message.
  if (target_.key) {
    if (auto key = target_.key->render(captures); !key.empty()) wanted.key = std::move(key);
  }
  if (!plain_name(wanted.destination)) {
    respond(failure_response(Failure::bad_request, "'" + wanted.destination + "' is not a topic or exchange name", route_.name));
    return;
  }
  if (const auto* last = find_header(request.headers, "last-event-id"); framing_.resumes && last && !last->empty()) {
    wanted.resume_after = *last;
  }
  std::shared_ptr<StreamSubscription> subscription;
  try {
    subscription = broker_->subscribe(wanted, std::make_shared<StreamClient>(body, framing_.render, metrics_.stream_events.with({route_.name})));
  } catch (const BadStreamPosition& error) {
    respond(failure_response(Failure::bad_request, std::string("Last-Event-ID: ") + error.what(), route_.name));
    return;
  } catch (const std::exception& error) {
    respond(failure_response(Failure::broker_unavailable, error.what(), route_.name));
    return;
  }
  auto& clients = metrics_.stream_clients.with({route_.name});
  clients.add(1);
  body->on_end([subscription, &clients, &disconnects = metrics_.stream_disconnects, route = route_.name](
                   const std::string& reason) mutable {
    subscription.reset();
    clients.add(-1);
    disconnects.with({route, reason}).inc();
  });
  if (!framing_.opening.empty()) body->push(framing_.opening);
  Response response{200, framing_.headers, {}, std::move(body)};
  respond(std::move(response));
}

}  // namespace causeway::bridge
