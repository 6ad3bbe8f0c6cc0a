#include "rabbitmq/rabbit_connection.h"

#include <future>

namespace causeway::rabbitmq {

RabbitConnection::RabbitConnection(std::string broker, ConnectionLoop::Role role,
                                   std::shared_ptr<const RabbitSettings> settings, config::WireHeaders wire,
                                   RabbitMetrics metrics)
    : loop_(std::make_shared<ConnectionLoop>(std::move(broker), role, settings, std::move(wire), metrics)) {
  thread_ = std::thread([loop = loop_] { loop->run(); });
  // TCP, TLS and the handshake each get connect_timeout.
  loop_->wait_first_attempt(Clock::now() + 3 * settings->options.connect_timeout);
}

RabbitConnection::~RabbitConnection() {
  loop_->stop();
  if (loop_->on_io_thread()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

bool RabbitConnection::post(std::function<void(ConnectionLoop&)> task) {
  return loop_->post([loop = loop_.get(), task = std::move(task)] { task(*loop); });
}

bool RabbitConnection::call(std::function<void(ConnectionLoop&)> task, Clock::time_point deadline) {
  if (loop_->on_io_thread()) {
    task(*loop_);
    return true;
  }
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  if (!post([task = std::move(task), done](ConnectionLoop& loop) {
        task(loop);
        done->set_value();
      })) {
    return false;
  }
  if (deadline == Clock::time_point::max()) {
    finished.wait();
    return true;
  }
  return finished.wait_until(deadline) == std::future_status::ready;
}

}  // namespace causeway::rabbitmq
