#pragma once
// A RabbitMQ broker entry as the runtime and the flows use it (bridge::BrokerClient):
// a publishing connection (the publisher and the direct reply-to consumer, which must
// share its channel) and, once a route reads a queue, a consuming connection for the
// delivery sources, the named reply queues and the stream clients, each with its I/O
// thread.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/broker_client.h"
#include "rabbitmq/rabbit_connection.h"
#include "rabbitmq/rabbit_publisher.h"

namespace causeway::rabbitmq {

class RabbitClient : public bridge::BrokerClient {
 public:
  // Connects (waiting up to the connect timeouts; a broker that is down is retried in
  // the background). Throws std::runtime_error when the entry is not a RabbitMQ one.
  RabbitClient(const config::Broker& broker, metrics::Registry& registry);
  ~RabbitClient() override;

  std::shared_ptr<bridge::MessageProducer> publisher() override { return publisher_; }
  // "direct": amq.rabbitmq.reply-to, consumed without acks on the publishing channel.
  // A queue name: that queue, declared durable and shared by replicas; a reply nobody
  // here waits for is given back once (basic.nack, requeue) for another replica.
  bridge::ReplyChannel open_replies(const std::string& reply, OnReply on_reply) override;
  std::unique_ptr<bridge::MessageSource> source(const config::Route& route) override;
  // A queue of the client's own on the consuming connection (stream_channel.h), bound to
  // the exchange with the request's key or "#". There is no position to resume from:
  // resume_after is ignored, and each event's position is empty.
  std::unique_ptr<bridge::StreamSubscription> subscribe(const bridge::StreamRequest& request,
                                                        std::shared_ptr<bridge::StreamReceiver> receiver) override;
  std::optional<std::string> problem() override;
  std::size_t flush(std::chrono::steady_clock::time_point deadline) override;
  std::string address() const override { return settings_->url.address(); }

 private:
  // The callbacks of every route that reads one reply queue, used on the I/O thread.
  using ReplyReaders = std::vector<OnReply>;

  std::shared_ptr<RabbitConnection> consuming();
  void open_direct_replies(OnReply on_reply);
  void open_reply_queue(const std::string& queue, OnReply on_reply);

  const std::string name_;
  const config::WireHeaders wire_;
  const std::shared_ptr<const RabbitSettings> settings_;
  RabbitMetrics metrics_;
  std::shared_ptr<RabbitConnection> publishing_;
  std::shared_ptr<RabbitPublisher> publisher_;
  std::mutex mutex_;
  std::shared_ptr<RabbitConnection> consuming_;
  std::map<std::string, std::shared_ptr<ReplyReaders>> reply_queues_;
  std::vector<std::shared_ptr<QueueConsumer>> reply_consumers_;
};

}  // namespace causeway::rabbitmq
