#pragma once
// to: {broker, topic | exchange, stream: sse}: a GET answered with the messages that
// come from now on (or after Last-Event-ID) as server-sent events, until the client
// leaves, reads too slowly, or Causeway drains. Other framings (stream: grpc) reuse it.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/broker_client.h"
#include "bridge/flow.h"
#include "bridge/flow_metrics.h"
#include "config/config.h"

namespace causeway::bridge {

// How a stream's messages reach its client: server-sent events unless a listener of
// another protocol says otherwise (a gRPC server stream: one response message each).
struct StreamFraming {
  // The bytes of one message; nullopt skips it (the renderer counts why), the stream goes on.
  std::function<std::optional<std::string>(const InboundMessage&)> render;
  std::string opening;     // what the body starts with
  std::string idle_bytes;  // what the listener writes after `heartbeat` without an event
  Headers headers;         // the response's
  bool resumes = true;     // Last-Event-ID resumes after the position it names
};
StreamFraming sse_framing();

class StreamFlow : public Flow {
 public:
  StreamFlow(const config::Route& route, std::shared_ptr<BrokerClient> broker, FlowMetrics& metrics,
             StreamFraming framing = sse_framing());
  void handle(Request request, routing::Captures captures, Responder respond) override;

 private:
  const config::Route& route_;
  const config::TopicTarget& target_;
  std::shared_ptr<BrokerClient> broker_;
  FlowMetrics& metrics_;
  const StreamFraming framing_;
};

// One event in the text/event-stream format: `id:`, `event:` and one `data:` line per
// line of the data (CR, LF and CRLF all end a line), then the blank line.
std::string sse_event(std::string_view id, std::string_view type, std::string_view data);

// The event's type: the message's `type` header, else its CloudEvents ce_type, else the topic.
std::string event_type(const InboundMessage& message);

}  // namespace causeway::bridge
