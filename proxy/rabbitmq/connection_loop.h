#pragma once
// The I/O thread of one broker connection. rabbitmq-c is not thread-safe and sends
// heartbeats only while it is called, so one thread owns the connection and its
// channels: it polls the socket together with a task queue (other threads post their
// publishes, acks and set-ups there), reads every frame that is in without blocking and
// hands it to the channel's owner, runs timers, and wakes at least every half
// heartbeat. A lost connection is re-established with backoff and jitter, and each
// owner sets its channel up again: topology, consumers, the direct reply-to consumer.
// A round of work that blocks too long (a write to a broker that stopped reading) is
// cut short by a watchdog (stall_watchdog.h).
// Results go back through callbacks called on this thread, which must be quick.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "rabbitmq/amqp_session.h"
#include "rabbitmq/channel_owner.h"
#include "rabbitmq/publish_channel.h"
#include "rabbitmq/queue_consumer.h"
#include "rabbitmq/rabbit_metrics.h"
#include "rabbitmq/rabbit_settings.h"
#include "rabbitmq/stall_watchdog.h"
#include "rabbitmq/stream_channel.h"
#include "rabbitmq/task_queue.h"
#include "rabbitmq/topology.h"

namespace causeway::rabbitmq {

class ConnectionLoop {
 public:
  using Clock = std::chrono::steady_clock;
  // What the connection carries. RabbitMQ throttles and, on a resource alarm, blocks
  // connections that publish; consumers on a connection of their own go on acking and
  // so draining the queues that relieve the alarm.
  enum class Role { publishing, consuming };

  ConnectionLoop(std::string broker, Role role, std::shared_ptr<const RabbitSettings> settings,
                 config::WireHeaders wire, RabbitMetrics metrics);
  ~ConnectionLoop();

  // Any thread.
  bool post(TaskQueue::Task task);  // false once stopped: the task will not run
  void stop();
  std::optional<std::string> problem() const;
  bool connected() const { return connected_.load(); }
  // Until the first attempt to connect ended, or the deadline.
  void wait_first_attempt(Clock::time_point deadline);
  bool on_io_thread() const { return std::this_thread::get_id() == thread_id_.load(); }

  // The thread's body: connects, serves, reconnects until stop(); then runs what is still
  // posted, with no session, so that every callback is answered.
  void run();

  // On the I/O thread only (in posted tasks and callbacks).
  AmqpSession* session() { return session_ && !session_->broken() ? session_.get() : nullptr; }
  PublishChannel& publisher() { return publisher_; }  // opened on publishing connections only
  StreamChannel& streams() { return streams_; }       // used on consuming connections only
  std::shared_ptr<QueueConsumer> add_consumer(ConsumerSpec spec, QueueConsumer::Events events);
  void remove_consumer(const std::shared_ptr<QueueConsumer>& consumer);

 private:
  bool connect();
  void serve();
  void wait_before_retry(Clock::time_point until);
  void run_tasks();
  void read_frames();
  void dispatch(const amqp_frame_t& frame);
  std::optional<Clock::time_point> tick(Clock::time_point now);
  void poll_until(std::optional<Clock::time_point> wake_at, bool with_socket);
  void set_problem(std::optional<std::string> problem);
  std::vector<ChannelOwner*> owners();
  void close_session();
  std::string lost_reason();  // why the session broke, counting a stall

  const std::string broker_;
  const Role role_;
  const std::shared_ptr<const RabbitSettings> settings_;
  const config::WireHeaders wire_;
  RabbitMetrics metrics_;

  TaskQueue tasks_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::thread::id> thread_id_{};
  mutable std::mutex mutex_;
  std::condition_variable attempted_changed_;
  bool attempted_ = false;
  std::optional<std::string> problem_;

  StallWatchdog watchdog_;

  // I/O thread only.
  std::unique_ptr<AmqpSession> session_;
  ChannelNumbers numbers_;
  Topology topology_;
  PublishChannel publisher_;
  StreamChannel streams_;
  std::vector<std::shared_ptr<QueueConsumer>> consumers_;
};

}  // namespace causeway::rabbitmq
