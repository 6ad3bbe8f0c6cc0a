#include "bridge/delivery_target.h"

#include "bridge/delivery_message.h"

namespace causeway::bridge {

using Outcome = DeliveryReport::Outcome;

void ServiceTarget::send(const InboundMessage& message, std::function<void(ServiceResult)> done) {
  service_.call(service_call(target_, message), std::move(done));
}

namespace {

int status_of(Outcome outcome) {
  switch (outcome) {
    case Outcome::stored: return 202;
    case Outcome::not_stored:
    case Outcome::maybe_stored:
    case Outcome::queue_full: return 503;
    case Outcome::too_large: return 413;
    case Outcome::unroutable: return 404;
    case Outcome::rejected: return 502;
  }
  return 502;
}

}  // namespace

void PublishTarget::send(const InboundMessage& message, std::function<void(ServiceResult)> done) {
  const auto variables = message_variables(message);
  OutboundMessage out;
  out.topic = target_.topic.is_literal() ? target_.topic.text() : target_.topic.render(variables);
  out.key = target_.key ? std::optional(target_.key->render(variables)) : message.key;
  out.value = message.value;
  out.headers = message.headers;
  if (auto problem = producer_->invalid_destination(out.topic)) {
    done(ServiceResult{Response{400, {}, "'" + out.topic + "': " + *problem}, ""});
    return;
  }
  producer_->produce(std::move(out), [done = std::move(done)](const DeliveryReport& report) {
    done(ServiceResult{Response{status_of(report.outcome), {}, report.error}, ""});
  });
}

}  // namespace causeway::bridge
