#include "bridge/event_message.h"

#include <ctime>

#include "bridge/correlation_id.h"

namespace causeway::bridge {

std::string rfc3339(std::chrono::system_clock::time_point time) {
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  std::time_t t = seconds.count();
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return text;
}

EventStamp stamp_request(const config::Route& route, const Request& request) {
  EventStamp stamp;
  const auto* idempotency_key = find_header(request.headers, "idempotency-key");
  stamp.correlation_id = idempotency_key && !idempotency_key->empty()
                             ? correlation_id_for(route.name, *idempotency_key)
                             : new_correlation_id();
  stamp.trace = continue_trace(find_header(request.headers, "traceparent"), find_header(request.headers, "tracestate"));
  stamp.time = std::chrono::system_clock::now();
  return stamp;
}

std::variant<OutboundMessage, std::string> build_event_message(const config::Route& route,
                                                               const config::TopicTarget& target,
                                                               const config::WireHeaders& wire, Request& request,
                                                               const routing::Captures& captures,
                                                               const EventStamp& stamp,
                                                               const std::optional<ReplyChannel>& reply,
                                                               const MessageProducer* producer) {
  OutboundMessage message;
  message.topic = target.topic.is_literal() ? target.topic.text() : target.topic.render(captures);
  if (producer) {
    if (auto problem = producer->invalid_destination(message.topic)) return "the path gives the name '" + message.topic + "': " + *problem;
  }
  if (target.key) message.key = target.key->render(captures);
  message.value = std::move(request.body);

  auto& headers = message.headers;
  headers.push_back({wire.correlation_id, stamp.correlation_id});
  if (reply) {
    headers.push_back({wire.reply_to, reply->reply_to});
    headers.insert(headers.end(), reply->extra.begin(), reply->extra.end());
  }
  const auto* content_type = find_header(request.headers, "content-type");
  if (content_type) headers.push_back({"content-type", *content_type});
  headers.push_back({"traceparent", stamp.trace.traceparent});
  if (stamp.trace.tracestate) headers.push_back({"tracestate", *stamp.trace.tracestate});
  if (route.envelope == config::Envelope::cloudevents) {
    // CloudEvents Kafka protocol binding, binary mode: attributes as ce_ headers.
    headers.push_back({"ce_specversion", "1.0"});
    headers.push_back({"ce_id", stamp.correlation_id});
    headers.push_back({"ce_source", route.cloudevents.source});
    headers.push_back({"ce_type", route.cloudevents.type});
    headers.push_back({"ce_time", rfc3339(stamp.time)});
  }
  for (const auto& wanted : route.headers) {
    for (const auto& header : request.headers) {
      if (header.name == wanted) headers.push_back(header);
    }
  }
  return message;
}

}  // namespace causeway::bridge
