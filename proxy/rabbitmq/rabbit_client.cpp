#include "rabbitmq/rabbit_client.h"

#include <stdexcept>

#include "rabbitmq/rabbit_source.h"

namespace causeway::rabbitmq {
namespace {

using Clock = std::chrono::steady_clock;
using Role = ConnectionLoop::Role;

std::shared_ptr<const RabbitSettings> settings_of(const config::Broker& broker) {
  auto settings = std::dynamic_pointer_cast<const RabbitSettings>(broker.settings);
  if (!settings) throw std::runtime_error("broker '" + broker.name + "' is not a RabbitMQ broker");
  return settings;
}

// A stream client's hold on its queue. Leaving only posts the cancel, so it is quick
// from any thread, the I/O thread inside a receiver call included.
void leave_stream(const std::weak_ptr<RabbitConnection>& connection, const std::shared_ptr<StreamTicket>& ticket) {
  ticket->open.store(false);
  if (auto alive = connection.lock()) {
    alive->post([ticket](ConnectionLoop& loop) { loop.streams().close_stream(loop.session(), *ticket); });
  }
}

class RabbitStream : public bridge::StreamSubscription {
 public:
  RabbitStream(std::weak_ptr<RabbitConnection> connection, std::shared_ptr<StreamTicket> ticket)
      : connection_(std::move(connection)), ticket_(std::move(ticket)) {}
  ~RabbitStream() override { leave_stream(connection_, ticket_); }

 private:
  std::weak_ptr<RabbitConnection> connection_;
  std::shared_ptr<StreamTicket> ticket_;
};

}  // namespace

RabbitClient::RabbitClient(const config::Broker& broker, metrics::Registry& registry)
    : name_(broker.name),
      wire_(broker.headers),
      settings_(settings_of(broker)),
      metrics_(registry, broker.name),
      publishing_(std::make_shared<RabbitConnection>(name_, Role::publishing, settings_, wire_, metrics_)),
      publisher_(std::make_shared<RabbitPublisher>(publishing_, wire_)) {}

RabbitClient::~RabbitClient() {
  std::shared_ptr<RabbitConnection> consuming;
  std::vector<std::shared_ptr<QueueConsumer>> consumers;
  {
    std::lock_guard lock(mutex_);
    consuming = consuming_;
    consumers.swap(reply_consumers_);
  }
  if (!consuming) return;
  consuming->call(
      [consumers](ConnectionLoop& loop) {
        for (const auto& consumer : consumers) loop.remove_consumer(consumer);
      },
      Clock::time_point::max());
}

std::shared_ptr<RabbitConnection> RabbitClient::consuming() {
  std::lock_guard lock(mutex_);
  if (!consuming_) consuming_ = std::make_shared<RabbitConnection>(name_, Role::consuming, settings_, wire_, metrics_);
  return consuming_;
}

bridge::ReplyChannel RabbitClient::open_replies(const std::string& reply, OnReply on_reply) {
  if (reply == "direct") {
    open_direct_replies(std::move(on_reply));
    return bridge::ReplyChannel{std::string(kDirectReplyTo), {}};
  }
  open_reply_queue(reply, std::move(on_reply));
  return bridge::ReplyChannel{reply, {}};
}

void RabbitClient::open_direct_replies(OnReply on_reply) {
  auto result = std::make_shared<CallResult>();
  publishing_->call(
      [on_reply = std::move(on_reply), result](ConnectionLoop& loop) {
        *result = loop.publisher().open_direct_replies(loop.session(), on_reply);
      },
      Clock::time_point::max());
  // Down now: consumed once connected. Refused: it never will be.
  if (result->kind == CallResult::Kind::channel_closed) {
    throw std::runtime_error("broker '" + name_ + "': cannot consume amq.rabbitmq.reply-to: " + result->error);
  }
}

void RabbitClient::open_reply_queue(const std::string& queue, OnReply on_reply) {
  const std::shared_ptr<RabbitConnection> connection = consuming();
  std::lock_guard lock(mutex_);
  auto [found, added] = reply_queues_.try_emplace(queue, std::make_shared<ReplyReaders>());
  std::shared_ptr<ReplyReaders> readers = found->second;
  if (!added) {
    connection->call([readers, on_reply = std::move(on_reply)](ConnectionLoop&) { readers->push_back(on_reply); },
                     Clock::time_point::max());
    return;
  }
  readers->push_back(std::move(on_reply));
  QueueConsumer::Events events;
  events.opened = [] {};
  events.closed = [](const std::string&) {};
  events.delivered = [readers, metrics = metrics_](Delivery delivery) {
    for (const OnReply& on_reply : *readers) {
      if (on_reply(delivery.message)) return QueueConsumer::Disposition::ack;
    }
    if (delivery.redelivered) {  // given back once already: nobody waits for it anywhere
      metrics.dropped_replies.inc();
      return QueueConsumer::Disposition::ack;
    }
    metrics.requeued_replies.inc();
    return QueueConsumer::Disposition::requeue;
  };
  auto consumer = std::make_shared<std::shared_ptr<QueueConsumer>>();
  auto result = std::make_shared<CallResult>();
  ConsumerSpec spec{queue, {}, settings_->options.prefetch};
  connection->call(
      [spec, events = std::move(events), consumer, result](ConnectionLoop& loop) mutable {
        *consumer = loop.add_consumer(std::move(spec), std::move(events));
        *result = (*consumer)->ensure(loop.session());
      },
      Clock::time_point::max());
  if (result->kind == CallResult::Kind::channel_closed) {
    connection->call([consumer = *consumer](ConnectionLoop& loop) { loop.remove_consumer(consumer); },
                     Clock::time_point::max());
    reply_queues_.erase(queue);
    throw std::runtime_error("broker '" + name_ + "': cannot read replies from queue '" + queue +
                             "': " + result->error);
  }
  reply_consumers_.push_back(*consumer);
}

std::unique_ptr<bridge::MessageSource> RabbitClient::source(const config::Route& route) {
  const config::TopicSource* from = route.topic_source();
  if (!from) throw std::runtime_error("route '" + route.name + "' does not read from a broker");
  ConsumerSpec spec{from->topic, from->bind, settings_->options.prefetch};
  return std::make_unique<RabbitSource>(consuming(), std::move(spec), from->key_header);
}

std::unique_ptr<bridge::StreamSubscription> RabbitClient::subscribe(const bridge::StreamRequest& request,
                                                                    std::shared_ptr<bridge::StreamReceiver> receiver) {
  if (request.destination.empty()) {
    throw std::runtime_error("broker '" + name_ + "': a stream binds a queue of its own to an exchange, and the "
                             "default exchange \"\" takes no bindings");
  }
  const std::shared_ptr<RabbitConnection> connection = consuming();
  auto ticket = std::make_shared<StreamTicket>();
  auto result = std::make_shared<CallResult>();
  const bool ran = connection->call(
      [exchange = request.destination, key = request.key.value_or("#"), ticket, receiver = std::move(receiver),
       result](ConnectionLoop& loop) mutable {
        AmqpSession* session = loop.session();
        *result = session ? loop.streams().open_stream(*session, exchange, key, ticket, std::move(receiver))
                          : CallResult{CallResult::Kind::connection_broken, 0, "not connected to the broker"};
      },
      Clock::now() + 2 * settings_->options.confirm_timeout);
  if (!ran || !*result) {
    leave_stream(connection, ticket);  // if it is set up after all, it is taken down right after
    throw std::runtime_error("broker '" + name_ + "': cannot stream exchange '" + request.destination +
                             "': " + (ran ? result->error : "the broker did not answer in time"));
  }
  return std::make_unique<RabbitStream>(connection, ticket);
}

std::optional<std::string> RabbitClient::problem() {
  if (auto problem = publishing_->loop().problem()) return problem;
  std::shared_ptr<RabbitConnection> consuming;
  {
    std::lock_guard lock(mutex_);
    consuming = consuming_;
  }
  if (!consuming) return std::nullopt;
  if (auto problem = consuming->loop().problem()) return "consuming: " + *problem;
  return std::nullopt;
}

std::size_t RabbitClient::flush(Clock::time_point deadline) { return publisher_->flush(deadline); }

}  // namespace causeway::rabbitmq
