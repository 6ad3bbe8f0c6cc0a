#include "kafka/group_consumer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "kafka/kafka_conf.h"
#include "kafka/kafka_message.h"

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

}  // namespace

struct GroupConsumer::Impl {
  std::string broker;
  config::TopicSource source;
  bridge::DeliveryFlow& flow;
  rd_kafka_t* handle = nullptr;
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  std::thread reader;
  std::mutex assigned_mutex;
  std::set<std::int32_t> assigned;

  explicit Impl(bridge::DeliveryFlow& flow_) : flow(flow_) {}

  void commit(const std::vector<bridge::CommitPoint>& points, bool wait) {
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
      flow.assigned({partition.topic, partition.partition}, read_max_handled(partition));
      assigned.insert(partition.partition);
    }
    rd_kafka_assign(handle, partitions);
    spdlog::info("route '{}': assigned {} partition(s) of {}", flow.route().name, partitions->cnt, source.topic);
  }

  void on_revoke(rd_kafka_topic_partition_list_t* partitions) {
    std::vector<bridge::CommitPoint> points;
    const auto wait = stopping.load() ? std::chrono::milliseconds(0) : kRevokeWait;
    {
      std::lock_guard lock(assigned_mutex);
      for (int i = 0; i < partitions->cnt; ++i) {
        const auto& partition = partitions->elems[i];
        if (auto point = flow.revoked({partition.topic, partition.partition}, wait)) points.push_back(*point);
        assigned.erase(partition.partition);
      }
    }
    commit(points, true);
    rd_kafka_assign(handle, nullptr);
    spdlog::info("route '{}': revoked {} partition(s) of {}", flow.route().name, partitions->cnt, source.topic);
  }

  // Commits refused by the broker (a rebalance in progress, say) are offered again.
  static void committed(rd_kafka_t*, rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* offsets,
                        void* opaque) {
    if (!offsets || error == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    auto* self = static_cast<Impl*>(opaque);
    for (int i = 0; i < offsets->cnt; ++i) {
      const auto& partition = offsets->elems[i];
      if (error != RD_KAFKA_RESP_ERR_NO_ERROR || partition.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        self->flow.commit_failed({partition.topic, partition.partition});
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

  void read() {
    auto last_commit = Clock::now();
    while (running.load(std::memory_order_relaxed)) {
      if (rd_kafka_message_t* message = rd_kafka_consumer_poll(handle, 100)) {
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          flow.deliver(to_inbound(*message));
        } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          spdlog::warn("route '{}': reading {}: {}", flow.route().name, source.topic, rd_kafka_message_errstr(message));
        }
        rd_kafka_message_destroy(message);
      }
      if (Clock::now() - last_commit >= kCommitInterval) {
        commit(flow.commit_points(), false);
        last_commit = Clock::now();
      }
    }
  }

  void set_paused(const bridge::PartitionId& partition, bool pause) {
    auto list = make_list(1);
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition);
    if (pause) {
      rd_kafka_pause_partitions(handle, list.get());
    } else {
      rd_kafka_resume_partitions(handle, list.get());
    }
  }
};

GroupConsumer::GroupConsumer(std::string broker, std::string bootstrap,
                             const std::vector<config::BrokerOption>& options, const config::TopicSource& source,
                             bridge::DeliveryFlow& flow)
    : impl_(std::make_unique<Impl>(flow)) {
  impl_->broker = std::move(broker);
  impl_->source = source;
  rd_kafka_conf_t* conf = group_consumer_conf(flow.route().name, bootstrap, source.group, options);
  rd_kafka_conf_set_rebalance_cb(conf, &Impl::rebalance);
  rd_kafka_conf_set_offset_commit_cb(conf, &Impl::committed);
  rd_kafka_conf_set_opaque(conf, impl_.get());
  char error[512];
  impl_->handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (!impl_->handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error("route '" + flow.route().name + "': cannot create its consumer: " + error);
  }
  rd_kafka_poll_set_consumer(impl_->handle);
}

GroupConsumer::~GroupConsumer() {
  stop(Clock::now());
  rd_kafka_destroy(impl_->handle);
}

void GroupConsumer::start() {
  auto topics = make_list(1);
  rd_kafka_topic_partition_list_add(topics.get(), impl_->source.topic.c_str(), RD_KAFKA_PARTITION_UA);
  auto error = rd_kafka_subscribe(impl_->handle, topics.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("route '" + impl_->flow.route().name + "': cannot subscribe to " + impl_->source.topic +
                             ": " + rd_kafka_err2str(error));
  }
  impl_->flow.set_control(this);
  impl_->running.store(true);
  impl_->reader = std::thread([impl = impl_.get()] { impl->read(); });
  spdlog::info("route '{}': reading {} as group '{}'", impl_->flow.route().name, impl_->source.topic,
               impl_->source.group);
}

void GroupConsumer::stop(Clock::time_point deadline) {
  auto& s = *impl_;
  if (s.stopping.exchange(true)) return;  // once: a shutdown after a reload's retirement
  if (!s.running.load()) {
    rd_kafka_consumer_close(s.handle);
    return;
  }
  s.flow.stop_starting();
  rd_kafka_topic_partition_list_t* assignment = nullptr;
  if (rd_kafka_assignment(s.handle, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR && assignment) {
    rd_kafka_pause_partitions(s.handle, assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
  }
  if (!s.flow.wait_idle(deadline)) {
    spdlog::warn("route '{}': deliveries still in flight at the drain deadline are left for the next start",
                 s.flow.route().name);
  }
  s.running.store(false);
  if (s.reader.joinable()) s.reader.join();
  s.commit(s.flow.commit_points(), true);
  rd_kafka_consumer_close(s.handle);  // leaves the group; the revoke commits once more
}

void GroupConsumer::pause(const bridge::PartitionId& partition) { impl_->set_paused(partition, true); }

void GroupConsumer::resume(const bridge::PartitionId& partition) { impl_->set_paused(partition, false); }

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
    auto point = impl_->flow.handled_point({impl_->source.topic, partition});
    if (!point) {
      // Nothing read yet: the consumer's position, if it has one, tells how far behind it is.
      auto list = make_list(1);
      rd_kafka_topic_partition_list_add(list.get(), impl_->source.topic.c_str(), partition);
      rd_kafka_position(impl_->handle, list.get());
      if (list->elems[0].offset >= 0) point = list->elems[0].offset;
    }
    if (point) lags.push_back({partition, std::max<std::int64_t>(0, high - *point)});
  }
  return lags;
}

}  // namespace causeway::kafka
