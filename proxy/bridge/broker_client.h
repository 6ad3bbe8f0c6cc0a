#pragma once
// One configured broker as the flows and the runtime use it, whatever its kind: a
// publisher, replies read for this instance, message sources for delivery routes, and
// whether it is usable now. Each adapter (kafka/, rabbitmq/) implements it.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/event_stream.h"
#include "bridge/exchange.h"
#include "bridge/inbound_message.h"
#include "bridge/message_producer.h"
#include "bridge/message_source.h"
#include "config/config.h"

namespace causeway::metrics {
class Registry;
}

namespace causeway::bridge {

// Where a request-reply message asks its reply to go, as its headers say it.
struct ReplyChannel {
  std::string reply_to;  // Kafka: the reply topic; RabbitMQ: a reply queue or amq.rabbitmq.reply-to
  Headers extra;         // e.g. Kafka's reply-partition, in the broker's header names
};

class BrokerClient {
 public:
  // True when a request was waiting for it. RabbitMQ hands an unmatched reply on a
  // shared reply queue back once (another replica may hold its request).
  using OnReply = std::function<bool(InboundMessage)>;
  virtual ~BrokerClient() = default;

  virtual std::shared_ptr<MessageProducer> publisher() = 0;
  // Starts reading the replies a route names with `reply:` (a Kafka reply topic; a
  // RabbitMQ reply queue or "direct") and hands each to on_reply, on any thread.
  // Returns what requests must carry so their replies come here. Throws
  // std::runtime_error naming the broker when it cannot.
  virtual ReplyChannel open_replies(const std::string& reply, OnReply on_reply) = 0;
  // The source a delivery route reads (from: {broker, ...}); not started.
  virtual std::unique_ptr<MessageSource> source(const config::Route& route) = 0;
  // A stream route's client: its messages go to `receiver` until the subscription is
  // dropped. Throws BadStreamPosition for a resume position it cannot read, and
  // std::runtime_error when this broker has no streams.
  virtual std::unique_ptr<StreamSubscription> subscribe(const StreamRequest& request,
                                                        std::shared_ptr<StreamReceiver> receiver);
  // Why the broker cannot be used now (for /readyz), nullopt when it can.
  virtual std::optional<std::string> problem() = 0;
  // Waits until what was published is acknowledged or the deadline passed; how many are left.
  virtual std::size_t flush(std::chrono::steady_clock::time_point deadline) = 0;
  // Where it is, for the log and /config: "127.0.0.1:9092", "amqp://127.0.0.1:5672/%2f".
  virtual std::string address() const = 0;
};

struct BrokerContext {
  metrics::Registry& registry;
};

// How an adapter makes the client of a broker entry of its type (settings parsed by its
// config::BrokerKind). Throws std::runtime_error naming the broker when it cannot.
using BrokerFactory = std::function<std::shared_ptr<BrokerClient>(const config::Broker&, const BrokerContext&)>;

// Adapters register theirs once at start, with their config kind (see kafka_adapter.h).
void register_broker_factory(const std::string& type, BrokerFactory factory);
const BrokerFactory* find_broker_factory(const std::string& type);

}  // namespace causeway::bridge
