#include "bridge/event_flow.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "bridge/event_message.h"
#include "bridge/failure.h"
#include "config/broker_kinds.h"

namespace causeway::bridge {

using Outcome = DeliveryReport::Outcome;

std::string_view delivery_result(Outcome outcome) {
  switch (outcome) {
    case Outcome::stored: return "ok";
    case Outcome::not_stored: return "not_stored";
    case Outcome::maybe_stored: return "maybe_stored";
    case Outcome::queue_full: return "queue_full";
    case Outcome::too_large: return "too_large";
    case Outcome::rejected: return "rejected";
    case Outcome::unroutable: return "unroutable";
  }
  return "rejected";
}

// What the delivery callback needs after the request is gone: metrics handles.
struct EventFlow::Shared {
  FlowMetrics& metrics;
  std::string broker;
  metrics::Histogram& produce_duration;

  metrics::Counter& produced(const std::string& topic, Outcome outcome) {
    return metrics.produced.with({broker, topic, std::string(delivery_result(outcome))});
  }
};

const config::RouteWords& route_words(const config::Broker& broker) {
  // The loader refuses a broker whose type no adapter registered.
  return config::find_broker_kind(broker.type)->words;
}

Response event_response(const DeliveryReport& report, std::string_view id, const EventPlace& place,
                        std::string_view route) {
  if (report.outcome != Outcome::stored) return produce_failure(report, route);
  boost::json::object body;
  body["id"] = id;
  body[place.words.destination] = place.destination;
  if (report.partition >= 0) {
    body["partition"] = report.partition;
    // Unknown (-1001) when librdkafka took a later batch's success as this one's.
    if (report.offset >= 0) body["offset"] = report.offset;
  } else if (place.key) {
    body[place.words.key] = *place.key;
  }
  return Response{202, {{"content-type", "application/json"}}, boost::json::serialize(body)};
}

Response produce_failure(const DeliveryReport& report, std::string_view route) {
  switch (report.outcome) {
    case Outcome::stored: break;
    case Outcome::not_stored:
      return failure_response(Failure::broker_unavailable, "the broker did not store the message: " + report.error,
                              route);
    case Outcome::maybe_stored:
      return failure_response(Failure::broker_timeout,
                              "the broker did not acknowledge the message in time; it may have been stored (" +
                                  report.error + ")",
                              route);
    case Outcome::queue_full:
      return failure_response(Failure::queue_full, "the local produce queue is full", route);
    case Outcome::too_large:
      return failure_response(Failure::body_too_large, "the message is larger than the broker accepts", route);
    case Outcome::rejected:
      return failure_response(Failure::bad_gateway, "the broker rejected the message: " + report.error, route);
    case Outcome::unroutable:
      return failure_response(Failure::unroutable, "no queue is bound for the message: " + report.error, route);
  }
  return failure_response(Failure::internal, "unknown delivery outcome", route);
}

EventFlow::EventFlow(const config::Route& route, const config::Broker& broker, std::shared_ptr<MessageProducer> producer,
                     FlowMetrics& metrics)
    : route_(route),
      target_(std::get<config::TopicTarget>(route.to)),
      wire_(broker.headers),
      words_(route_words(broker)),
      producer_(std::move(producer)),
      shared_(std::make_shared<Shared>(
          Shared{metrics, target_.broker, metrics.produce_duration.with({target_.broker})})) {}

void EventFlow::handle(Request request, routing::Captures captures, Responder respond) {
  auto stamp = stamp_request(route_, request);
  auto built = build_event_message(route_, target_, wire_, request, captures, stamp, std::nullopt, producer_.get());
  if (auto* problem = std::get_if<std::string>(&built)) {
    respond(failure_response(Failure::bad_request, *problem, route_.name));
    return;
  }
  auto& message = std::get<OutboundMessage>(built);
  EventPlace place{words_, message.topic, message.key};
  auto started = std::chrono::steady_clock::now();
  producer_->produce(std::move(message), [shared = shared_, respond, id = std::move(stamp.correlation_id),
                                         place = std::move(place), route = route_.name,
                                         started](const DeliveryReport& report) {
    shared->produce_duration.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    shared->produced(place.destination, report.outcome).inc();
    respond(event_response(report, id, place, route));
  });
}

}  // namespace causeway::bridge
