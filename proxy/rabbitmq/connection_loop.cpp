#include "rabbitmq/connection_loop.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "bridge/delivery_message.h"
#include "rabbitmq/amqp_bytes.h"

namespace causeway::rabbitmq {
namespace {

using namespace std::chrono_literals;

// At most this many frames per round, so that tasks and timers get their turn.
constexpr int kFramesPerRound = 256;
constexpr auto kLongestSleep = 5s;

std::chrono::milliseconds reconnect_delay(int failures) {
  static const config::RetryPolicy policy = [] {
    config::RetryPolicy reconnect;
    reconnect.backoff = 200ms;
    reconnect.max_backoff = 5s;
    return reconnect;
  }();
  thread_local std::mt19937 random{std::random_device{}()};
  return bridge::backoff_delay(policy, failures, std::uniform_real_distribution<double>(0, 1)(random));
}

// Longer than any round of work takes on a broker that answers: an RPC may take up to the
// RPC timeout, and a heartbeat interval passes before a silent broker is noticed.
std::chrono::steady_clock::duration stall_limit(const RabbitOptions& options) {
  const auto rpc_timeout = std::max(options.confirm_timeout, options.connect_timeout);
  const auto heartbeat = options.heartbeat > config::Duration::zero() ? options.heartbeat : config::Duration(5s);
  return rpc_timeout + 2 * heartbeat;
}

const char* role_name(ConnectionLoop::Role role) {
  return role == ConnectionLoop::Role::publishing ? "publishing" : "consuming";
}

}  // namespace

ConnectionLoop::ConnectionLoop(std::string broker, Role role, std::shared_ptr<const RabbitSettings> settings,
                               config::WireHeaders wire, RabbitMetrics metrics)
    : broker_(std::move(broker)),
      role_(role),
      settings_(std::move(settings)),
      wire_(std::move(wire)),
      metrics_(metrics),
      problem_("connecting to " + settings_->url.address()),
      watchdog_(stall_limit(settings_->options)),
      topology_(settings_->options, numbers_),
      publisher_(settings_->options, wire_, numbers_, topology_, metrics_),
      streams_(settings_->options.prefetch, wire_, numbers_, topology_) {
  metrics_.connected->add_connection();
}

ConnectionLoop::~ConnectionLoop() { metrics_.connected->remove_connection(); }

bool ConnectionLoop::post(TaskQueue::Task task) { return tasks_.post(std::move(task)); }

void ConnectionLoop::stop() {
  stopping_.store(true);
  tasks_.post([] {});  // wakes the poll
}

std::optional<std::string> ConnectionLoop::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

void ConnectionLoop::set_problem(std::optional<std::string> problem) {
  std::lock_guard lock(mutex_);
  problem_ = std::move(problem);
}

void ConnectionLoop::wait_first_attempt(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  attempted_changed_.wait_until(lock, deadline, [this] { return attempted_; });
}

std::vector<ChannelOwner*> ConnectionLoop::owners() {
  std::vector<ChannelOwner*> owners{&topology_};
  if (role_ == Role::publishing) owners.push_back(&publisher_);
  if (role_ == Role::consuming) owners.push_back(&streams_);
  for (const auto& consumer : consumers_) owners.push_back(consumer.get());
  return owners;
}

std::shared_ptr<QueueConsumer> ConnectionLoop::add_consumer(ConsumerSpec spec, QueueConsumer::Events events) {
  auto consumer = std::make_shared<QueueConsumer>(std::move(spec), std::move(events), settings_->options, wire_,
                                                  numbers_, topology_, metrics_);
  consumers_.push_back(consumer);
  return consumer;
}

void ConnectionLoop::remove_consumer(const std::shared_ptr<QueueConsumer>& consumer) {
  consumer->close(session());
  std::erase(consumers_, consumer);
}

void ConnectionLoop::run() {
  thread_id_.store(std::this_thread::get_id());
  int failures = 0;
  bool connected_before = false;
  while (!stopping_.load()) {
    const bool up = connect();
    if (!up) {
      ++failures;
      metrics_.connect_failures.inc();
    }
    {
      std::lock_guard lock(mutex_);
      attempted_ = true;
    }
    attempted_changed_.notify_all();
    if (up) {
      if (connected_before) metrics_.reconnects.inc();
      connected_before = true;
      spdlog::info("rabbitmq: broker '{}' {} connection up at {}", broker_, role_name(role_), settings_->url.address());
      serve();
      const std::string why = session_->broken() ? lost_reason() : "closing";
      connected_.store(false);
      metrics_.connected->down();
      for (ChannelOwner* owner : owners()) owner->disconnected(why);
      close_session();
      if (stopping_.load()) break;
      spdlog::warn("rabbitmq: broker '{}' {} connection lost: {}; reconnecting", broker_, role_name(role_), why);
      set_problem("connection lost: " + why + "; reconnecting");
      failures = 1;
    }
    wait_before_retry(Clock::now() + reconnect_delay(failures));
  }
  for (TaskQueue::Task& task : tasks_.close()) task();
  set_problem("closed");
}

bool ConnectionLoop::connect() {
  std::string why;
  session_ = AmqpSession::connect(*settings_, broker_ + " " + role_name(role_), why);
  if (!session_) {
    spdlog::warn("rabbitmq: broker '{}' {} connection: cannot connect to {}: {}", broker_, role_name(role_),
                 settings_->url.address(), why);
    set_problem("cannot connect to " + settings_->url.address() + ": " + why);
    return false;
  }
  numbers_.reset(amqp_get_channel_max(session_->state()));
  watchdog_.attach(session_->fd());
  {
    const StallWatchdog::Armed armed(watchdog_);
    for (ChannelOwner* owner : owners()) {
      if (session_->broken()) break;
      owner->connected(*session_);
    }
  }
  if (session_->broken()) {  // lost again while setting up
    const std::string why_lost = lost_reason();
    for (ChannelOwner* owner : owners()) owner->disconnected(why_lost);
    close_session();
    set_problem("connection lost while setting up: " + why_lost);
    return false;
  }
  connected_.store(true);
  metrics_.connected->up();
  set_problem(std::nullopt);
  return true;
}

std::string ConnectionLoop::lost_reason() {
  if (!watchdog_.fired()) return session_->broken_reason();
  metrics_.stalls.inc();
  return "the broker stopped taking what was sent (" + session_->broken_reason() + ")";
}

void ConnectionLoop::close_session() {
  {
    const StallWatchdog::Armed armed(watchdog_);  // connection.close waits for close-ok
    session_.reset();
  }
  watchdog_.detach();
}

void ConnectionLoop::serve() {
  while (!stopping_.load() && !session_->broken()) {
    std::optional<Clock::time_point> wake_at;
    {
      const StallWatchdog::Armed armed(watchdog_);
      run_tasks();
      if (!session_->broken()) read_frames();
      if (!session_->broken()) wake_at = tick(Clock::now());
    }
    if (session_->broken()) break;
    if (amqp_frames_enqueued(session_->state()) || amqp_data_in_buffer(session_->state())) continue;
    // Nothing points into the library's pools between rounds: everything was copied out.
    amqp_maybe_release_buffers(session_->state());
    poll_until(wake_at, true);
  }
}

void ConnectionLoop::wait_before_retry(Clock::time_point until) {
  while (!stopping_.load() && Clock::now() < until) {
    run_tasks();
    tick(Clock::now());
    poll_until(until, false);
  }
}

void ConnectionLoop::run_tasks() {
  for (TaskQueue::Task& task : tasks_.take()) task();
}

void ConnectionLoop::read_frames() {
  for (int round = 0; round < kFramesPerRound; ++round) {
    amqp_frame_t frame;
    const timeval now{0, 0};  // also sends a heartbeat when one is due, and notices a silent broker
    const int status = amqp_simple_wait_frame_noblock(session_->state(), &frame, &now);
    if (status == AMQP_STATUS_TIMEOUT) return;
    if (status != AMQP_STATUS_OK) {
      session_->mark_broken(std::string("reading from the broker: ") + amqp_error_string2(status));
      return;
    }
    dispatch(frame);
    if (session_->broken()) return;
    amqp_maybe_release_buffers_on_channel(session_->state(), frame.channel);
  }
}

void ConnectionLoop::dispatch(const amqp_frame_t& frame) {
  if (frame.channel != 0) {
    if (ChannelOwner* owner = numbers_.owner(frame.channel)) owner->frame(*session_, frame);
    return;  // a channel closed since: nothing of it matters any more
  }
  if (frame.frame_type != AMQP_FRAME_METHOD) return;
  switch (frame.payload.method.id) {
    case AMQP_CONNECTION_CLOSE_METHOD:
      session_->connection_closed_by_broker(*static_cast<const amqp_connection_close_t*>(frame.payload.method.decoded));
      break;
    case AMQP_CONNECTION_BLOCKED_METHOD: {
      const auto* blocked = static_cast<const amqp_connection_blocked_t*>(frame.payload.method.decoded);
      metrics_.blocked.inc();
      publisher_.set_blocked(true);
      spdlog::warn("rabbitmq: broker '{}' blocks publishing: {}", broker_, text_of(blocked->reason));
      set_problem("the broker blocks publishing: " + text_of(blocked->reason));
      break;
    }
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
      publisher_.set_blocked(false);
      spdlog::info("rabbitmq: broker '{}' takes messages again", broker_);
      set_problem(std::nullopt);
      break;
    default: break;
  }
}

std::optional<ConnectionLoop::Clock::time_point> ConnectionLoop::tick(Clock::time_point now) {
  std::optional<Clock::time_point> earliest;
  for (ChannelOwner* owner : owners()) {
    const std::optional<Clock::time_point> at = owner->tick(session(), now);
    if (at) earliest = earliest ? std::min(*earliest, *at) : *at;
  }
  return earliest;
}

void ConnectionLoop::poll_until(std::optional<Clock::time_point> wake_at, bool with_socket) {
  Clock::duration longest = kLongestSleep;
  // The heartbeat the broker and the library agreed on, which may be shorter than ours.
  const auto heartbeat = with_socket ? std::chrono::seconds(amqp_get_heartbeat(session_->state())) : 0s;
  if (heartbeat > 0s) longest = std::min<Clock::duration>(longest, heartbeat / 2);
  const Clock::time_point now = Clock::now();
  Clock::time_point until = now + longest;
  if (wake_at) until = std::min(until, *wake_at);
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(std::max(until - now, Clock::duration::zero()));
  pollfd fds[2] = {{tasks_.fd(), POLLIN, 0}, {with_socket ? session_->fd() : -1, POLLIN, 0}};
  ::poll(fds, with_socket ? 2 : 1, static_cast<int>(wait.count()));
}

}  // namespace causeway::rabbitmq
