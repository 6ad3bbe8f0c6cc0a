#include "kafka/group_consumer.h"

#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "kafka/kafka_conf.h"
#include "kafka/kafka_message.h"
#include "kafka/partition_offsets.h"

namespace causeway::kafka {

using Clock = std::chrono::steady_clock;

namespace {

// How often handled offsets are committed while running: often enough that a crash
// leaves few messages to deliver twice.
constexpr auto kCommitInterval = std::chrono::milliseconds(200);
// How long a revoked partition may finish its deliveries before the next owner starts.
constexpr auto kRevokeWait = std::chrono::seconds(5);

using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;

PartitionList make_list(int size) {
  return PartitionList(rd_kafka_topic_partition_list_new(size), rd_kafka_topic_partition_list_destroy);
}

// The highest handled offset travels as the commit's metadata, so the next owner can
// count what it delivers again.
std::optional<std::int64_t> read_max_handled(const rd_kafka_topic_partition_t& partition) {
  if (!partition.metadata || partition.metadata_size == 0) return std::nullopt;
  std::string_view text(static_cast<const char*>(partition.metadata), partition.metadata_size);
  constexpr std::string_view kPrefix = "causeway:max_handled=";
  if (!text.starts_with(kPrefix)) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || value < 0) return std::nullopt;
  return value;
}

void write_max_handled(rd_kafka_topic_partition_t& partition, std::int64_t max_handled) {
  if (max_handled < 0) return;
  std::string text = "causeway:max_handled=" + std::to_string(max_handled);
  partition.metadata = std::malloc(text.size());  // freed with the list
  std::memcpy(partition.metadata, text.data(), text.size());
  partition.metadata_size = text.size();
}

std::string lane_of(const std::string& topic, std::int32_t partition) { return topic + "/" + std::to_string(partition); }

// Acknowledging a message makes its offset committable once every one before it is.
class OffsetAck : public bridge::Acknowledger {
 public:
  OffsetAck(std::shared_ptr<PartitionOffsets> offsets, PartitionId partition, std::uint64_t generation,
            std::int64_t offset)
      : offsets_(std::move(offsets)), partition_(std::move(partition)), generation_(generation), offset_(offset) {}
  void handled() override { offsets_->handled(partition_, generation_, offset_); }

 private:
  std::shared_ptr<PartitionOffsets> offsets_;
  PartitionId partition_;
  std::uint64_t generation_;
  std::int64_t offset_;
};

}  // namespace

struct GroupConsumer::Impl {
  std::string route;
  std::string broker;
  config::TopicSource source;
  bridge::MessageSink* sink = nullptr;
  // Shared with the acknowledgement handles, which may outlive this consumer.
  std::shared_ptr<PartitionOffsets> offsets = std::make_shared<PartitionOffsets>();
  rd_kafka_t* handle = nullptr;
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  std::thread reader;
  std::atomic<bool> assigned_once{false};  // the first rebalance is over
  std::mutex assigned_mutex;
  std::set<std::int32_t> assigned;

  // Each assigned partition's messages wait in a queue of their own, read only while the
  // flow has room. Holding a partition back this way costs nothing, where librdkafka's
  // pause drops what it prefetched and may fetch again only a second after a resume.
  struct PartitionQueue {
    rd_kafka_queue_t* queue = nullptr;
    std::atomic<bool> held{false};
  };
  // The generation of each assigned partition, for the acknowledgements of its messages.
  std::map<std::int32_t, std::uint64_t> generations;  // under assigned_mutex
  // Changed only by the reader thread (assignments are served in its poll), which
  // therefore reads it unlocked; delivery threads look partitions up under the lock.
  std::mutex queues_mutex;
  std::map<std::int32_t, PartitionQueue> queues;
  rd_kafka_queue_t* consumer_queue = nullptr;
  // Wakes the reader: an event on the consumer queue, or a partition released.
  int wake_fd = -1;

  Impl() : wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd < 0) throw std::runtime_error(std::string("cannot create an eventfd: ") + std::strerror(errno));
  }
  ~Impl() { close(wake_fd); }

  // Queue handles go before the handle they belong to: rd_kafka_destroy() waits for them.
  void release_queues() {
    std::lock_guard lock(queues_mutex);
    for (auto& [partition, entry] : queues) rd_kafka_queue_destroy(entry.queue);
    queues.clear();
    if (consumer_queue) rd_kafka_queue_destroy(consumer_queue);
    consumer_queue = nullptr;
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(wake_fd, &one, sizeof one);
  }

  void commit(const std::vector<CommitPoint>& points, bool wait) {
    if (points.empty()) return;
    auto list = make_list(static_cast<int>(points.size()));
    for (const auto& point : points) {
      auto* entry = rd_kafka_topic_partition_list_add(list.get(), point.partition.topic.c_str(),
                                                      point.partition.partition);
      entry->offset = point.offset;
      write_max_handled(*entry, point.max_handled);
    }
    auto error = rd_kafka_commit(handle, list.get(), wait ? 0 : 1);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      spdlog::warn("broker '{}': committing {} offsets failed: {}", broker, source.topic, rd_kafka_err2str(error));
    }
  }

  void on_assign(rd_kafka_topic_partition_list_t* partitions) {
    // Reading the committed offsets (and their metadata) also positions the assignment there.
    auto error = rd_kafka_committed(handle, partitions, 10000);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("broker '{}': reading committed offsets of {} failed: {}", broker, source.topic,
                   rd_kafka_err2str(error));
    }
    std::lock_guard lock(assigned_mutex);
    for (int i = 0; i < partitions->cnt; ++i) {
      const auto& partition = partitions->elems[i];
      generations[partition.partition] =
          offsets->assigned({partition.topic, partition.partition}, read_max_handled(partition));
      sink->lane_opened(lane_of(partition.topic, partition.partition));
      assigned.insert(partition.partition);
    }
    rd_kafka_assign(handle, partitions);
    std::lock_guard queues_lock(queues_mutex);
    for (int i = 0; i < partitions->cnt; ++i) {
      const auto& partition = partitions->elems[i];
      rd_kafka_queue_t* queue = rd_kafka_queue_get_partition(handle, partition.topic, partition.partition);
      if (!queue) continue;  // unknown to librdkafka: its messages come through the consumer queue
      rd_kafka_queue_forward(queue, nullptr);
      rd_kafka_queue_io_event_enable(queue, wake_fd, "1", 1);
      queues[partition.partition].queue = queue;
    }
    spdlog::info("route '{}': assigned {} partition(s) of {}", route, partitions->cnt, source.topic);
    assigned_once.store(true);
  }

  void on_revoke(rd_kafka_topic_partition_list_t* partitions) {
    std::vector<CommitPoint> points;
    const auto wait = stopping.load() ? std::chrono::milliseconds(0) : kRevokeWait;
    {
      std::lock_guard lock(assigned_mutex);
      for (int i = 0; i < partitions->cnt; ++i) {
        const auto& partition = partitions->elems[i];
        // Deliveries in flight finish first, so that their acknowledgements make the commit.
        sink->lane_closed(lane_of(partition.topic, partition.partition), wait);
        if (auto point = offsets->revoked({partition.topic, partition.partition})) points.push_back(*point);
        assigned.erase(partition.partition);
        generations.erase(partition.partition);
      }
    }
    commit(points, true);
    {
      std::lock_guard queues_lock(queues_mutex);
      for (int i = 0; i < partitions->cnt; ++i) {
        auto found = queues.find(partitions->elems[i].partition);
        if (found == queues.end()) continue;
        rd_kafka_queue_destroy(found->second.queue);  // what it still holds is the next owner's
        queues.erase(found);
      }
    }
    rd_kafka_assign(handle, nullptr);
    spdlog::info("route '{}': revoked {} partition(s) of {}", route, partitions->cnt, source.topic);
  }

  // Commits refused by the broker (a rebalance in progress, say) are offered again.
  static void committed(rd_kafka_t*, rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* offsets,
                        void* opaque) {
    if (!offsets || error == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    auto* self = static_cast<Impl*>(opaque);
    for (int i = 0; i < offsets->cnt; ++i) {
      const auto& partition = offsets->elems[i];
      if (error != RD_KAFKA_RESP_ERR_NO_ERROR || partition.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        self->offsets->commit_failed({partition.topic, partition.partition});
      }
    }
  }

  static void rebalance(rd_kafka_t*, rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions,
                        void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->on_assign(partitions);
    } else {
      self->on_revoke(partitions);
    }
  }

  // Hands a message to the flow with its acknowledgement, or logs the error it carries.
  void take(rd_kafka_message_t* message) {
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      deliver(to_inbound(*message));
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      spdlog::warn("route '{}': reading {}: {}", route, source.topic, rd_kafka_message_errstr(message));
    }
    rd_kafka_message_destroy(message);
  }

  void deliver(bridge::InboundMessage message) {
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(assigned_mutex);
      auto found = generations.find(message.partition);
      if (found == generations.end()) return;  // revoked meanwhile: the next owner's
      generation = found->second;
    }
    PartitionId partition{message.topic, message.partition};
    bridge::SourcedMessage sourced;
    sourced.lane = lane_of(message.topic, message.partition);
    sourced.redelivered = offsets->started(partition, generation, message.offset);
    sourced.ack = std::make_unique<OffsetAck>(offsets, std::move(partition), generation, message.offset);
    sourced.message = std::move(message);
    sink->deliver(std::move(sourced));
  }

  // Up to kReadBatch messages of each partition the flow has room for; true if any.
  // On the reader thread, the only one that changes `queues`: no lock, since deliver()
  // may hold a partition, which takes it.
  bool read_partitions() {
    constexpr int kReadBatch = 256;
    bool any = false;
    for (auto& [partition, entry] : queues) {
      for (int n = 0; n < kReadBatch && !entry.held.load(); ++n) {
        rd_kafka_message_t* message = rd_kafka_consume_queue(entry.queue, 0);
        if (!message) break;
        take(message);
        any = true;
      }
    }
    return any;
  }

  void read() {
    auto last_commit = Clock::now();
    consumer_queue = rd_kafka_queue_get_consumer(handle);
    rd_kafka_queue_io_event_enable(consumer_queue, wake_fd, "1", 1);
    pollfd wait{wake_fd, POLLIN, 0};
    // librdkafka 2.0.2 signals the eventfd for the consumer queue but not when a fetch
    // fills a partition's own queue, so those are polled: every 2 ms within a second of
    // the last message (a millisecond of latency on average), every 20 ms when idle.
    auto last_message = Clock::now() - std::chrono::hours(1);
    while (running.load(std::memory_order_relaxed)) {
      // The consumer queue first, whole: rebalances, errors, and messages that came
      // before their partition had a queue of its own, which are older than its queue's.
      bool any = false;
      while (rd_kafka_message_t* message = rd_kafka_consumer_poll(handle, 0)) {
        take(message);
        any = true;
      }
      any = read_partitions() || any;
      if (Clock::now() - last_commit >= kCommitInterval) {
        commit(offsets->commit_points(), false);
        last_commit = Clock::now();
      }
      if (any) last_message = Clock::now();
      if (!any) {
        ::poll(&wait, 1, Clock::now() - last_message < std::chrono::seconds(1) ? 2 : 20);
        std::uint64_t count = 0;
        [[maybe_unused]] auto read_bytes = ::read(wake_fd, &count, sizeof count);
      }
    }
  }

  void set_paused(const PartitionId& partition, bool pause) {
    {
      std::lock_guard lock(queues_mutex);
      auto found = queues.find(partition.partition);
      if (found != queues.end()) {
        found->second.held.store(pause);
        if (!pause) wake();
        return;
      }
    }
    // A partition without a queue of its own: librdkafka's pause, the only way to hold it.
    auto list = make_list(1);
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition);
    if (pause) {
      rd_kafka_pause_partitions(handle, list.get());
    } else {
      rd_kafka_resume_partitions(handle, list.get());
    }
  }
};

GroupConsumer::GroupConsumer(std::string route, std::string broker, std::string bootstrap,
                             const std::vector<config::BrokerOption>& options, const config::TopicSource& source)
    : impl_(std::make_unique<Impl>()) {
  impl_->route = std::move(route);
  impl_->broker = std::move(broker);
  impl_->source = source;
  rd_kafka_conf_t* conf = group_consumer_conf(impl_->route, bootstrap, source.group, options);
  rd_kafka_conf_set_rebalance_cb(conf, &Impl::rebalance);
  rd_kafka_conf_set_offset_commit_cb(conf, &Impl::committed);
  rd_kafka_conf_set_opaque(conf, impl_.get());
  char error[512];
  impl_->handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (!impl_->handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error("route '" + impl_->route + "': cannot create its consumer: " + error);
  }
  rd_kafka_poll_set_consumer(impl_->handle);
}

GroupConsumer::~GroupConsumer() {
  stop(Clock::now());
  impl_->release_queues();
  rd_kafka_destroy(impl_->handle);
}

void GroupConsumer::start(bridge::MessageSink& sink) {
  impl_->sink = &sink;
  auto topics = make_list(1);
  rd_kafka_topic_partition_list_add(topics.get(), impl_->source.topic.c_str(), RD_KAFKA_PARTITION_UA);
  auto error = rd_kafka_subscribe(impl_->handle, topics.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("route '" + impl_->route + "': cannot subscribe to " + impl_->source.topic + ": " +
                             rd_kafka_err2str(error));
  }
  impl_->running.store(true);
  impl_->reader = std::thread([impl = impl_.get()] { impl->read(); });
  spdlog::info("route '{}': reading {} as group '{}'", impl_->route, impl_->source.topic, impl_->source.group);
}

void GroupConsumer::stop(Clock::time_point deadline) {
  auto& s = *impl_;
  if (s.stopping.exchange(true)) return;  // once: a shutdown after a reload's retirement
  if (!s.running.load()) {
    rd_kafka_consumer_close(s.handle);
    return;
  }
  s.sink->stop_starting();
  rd_kafka_topic_partition_list_t* assignment = nullptr;
  if (rd_kafka_assignment(s.handle, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR && assignment) {
    rd_kafka_pause_partitions(s.handle, assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
  }
  if (!s.sink->wait_idle(deadline)) {
    spdlog::warn("route '{}': deliveries still in flight at the drain deadline are left for the next start", s.route);
  }
  s.running.store(false);
  if (s.reader.joinable()) s.reader.join();
  s.commit(s.offsets->commit_points(), true);
  rd_kafka_consumer_close(s.handle);  // leaves the group; the revoke commits once more
}

// Lanes are "topic/partition".
void GroupConsumer::hold(const std::string& lane) {
  const auto slash = lane.rfind('/');
  impl_->set_paused({lane.substr(0, slash), std::stoi(lane.substr(slash + 1))}, true);
}

void GroupConsumer::release(const std::string& lane) {
  const auto slash = lane.rfind('/');
  impl_->set_paused({lane.substr(0, slash), std::stoi(lane.substr(slash + 1))}, false);
}

bool GroupConsumer::reading() const { return impl_->assigned_once.load(); }

std::vector<GroupConsumer::Lag> GroupConsumer::lag() {
  std::set<std::int32_t> partitions;
  {
    std::lock_guard lock(impl_->assigned_mutex);
    partitions = impl_->assigned;
  }
  std::vector<Lag> lags;
  for (auto partition : partitions) {
    std::int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(impl_->handle, impl_->source.topic.c_str(), partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR || high < 0) {
      continue;
    }
    auto point = impl_->offsets->handled_point({impl_->source.topic, partition});
    if (!point) {
      // Nothing read yet: the consumer's position, if it has one, tells how far behind it is.
      auto list = make_list(1);
      rd_kafka_topic_partition_list_add(list.get(), impl_->source.topic.c_str(), partition);
      rd_kafka_position(impl_->handle, list.get());
      if (list->elems[0].offset >= 0) point = list->elems[0].offset;
    }
    if (point) lags.push_back({std::to_string(partition), std::max<std::int64_t>(0, high - *point)});
  }
  return lags;
}

}  // namespace causeway::kafka
