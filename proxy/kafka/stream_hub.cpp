#include "kafka/stream_hub.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "kafka/kafka_conf.h"
#include "kafka/kafka_message.h"

namespace causeway::kafka {

namespace {

using namespace std::chrono_literals;
using Offsets = std::map<std::int32_t, std::int64_t>;

// Each catch-up reader is a librdkafka consumer with threads of its own: a reconnect
// storm of resuming clients is served a few at a time, the rest wait their turn.
constexpr std::size_t kCatchUpsAtOnce = 4;
constexpr auto kPositionWait = 5s;
// How long the shared reader waits for a client that fell behind (messages produced
// together reach every client at once) before it goes on and lets its buffer decide.
constexpr auto kGrace = 1s;

struct Client {
  std::shared_ptr<bridge::StreamReceiver> receiver;
  std::optional<std::string> key;
  Offsets next;       // per partition, the next offset this client wants
  bool live = false;  // handed messages by the shared reader (else caught up, or waiting to be)
  bool waited_for = false;  // the shared reader gave it its grace and goes on without it
  std::atomic<bool> gone{false};
};

class Subscription : public bridge::StreamSubscription {
 public:
  explicit Subscription(std::shared_ptr<Client> client) : client_(std::move(client)) {}
  // Only flagged: this may run inside a receiver call, under the hub's lock.
  ~Subscription() override { client_->gone.store(true); }

 private:
  std::shared_ptr<Client> client_;
};

rd_kafka_t* new_consumer(const std::string& name, const std::string& bootstrap,
                         const std::vector<config::BrokerOption>& options, bool partition_eof) {
  rd_kafka_conf_t* conf = consumer_conf(name, bootstrap, options);
  char error[512];
  // A catch-up reader must learn where a partition ends even when its last offsets
  // hold no message (compacted, transaction markers); the earliest kept offset is
  // where a position older than the retention goes on from.
  if (partition_eof && (rd_kafka_conf_set(conf, "enable.partition.eof", "true", error, sizeof error) != RD_KAFKA_CONF_OK ||
                        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error, sizeof error) != RD_KAFKA_CONF_OK)) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(error);
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("cannot create a stream reader: ") + error);
  }
  return handle;
}

void destroy_consumer(rd_kafka_t* handle) {
  rd_kafka_consumer_close(handle);
  rd_kafka_destroy(handle);
}

std::optional<std::int64_t> number(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<Offsets> parse_position(std::string_view position, std::string_view topic) {
  if (!position.starts_with(topic) || position.size() <= topic.size() || position[topic.size()] != '/') return std::nullopt;
  position.remove_prefix(topic.size() + 1);
  Offsets next;
  while (!position.empty()) {
    const std::size_t comma = position.find(',');
    const std::string_view pair = position.substr(0, comma);
    const std::size_t slash = pair.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto partition = number(pair.substr(0, slash));
    const auto offset = number(pair.substr(slash + 1));
    // An offset of INT64_MAX has no next one to want.
    if (!partition || !offset || *partition < 0 || *partition > INT32_MAX || *offset < -1 || *offset == INT64_MAX) {
      return std::nullopt;
    }
    next[static_cast<std::int32_t>(*partition)] = *offset + 1;
    if (comma == std::string_view::npos) break;
    position.remove_prefix(comma + 1);
    if (position.empty()) return std::nullopt;
  }
  if (next.empty()) return std::nullopt;
  return next;
}

std::string format_position(std::string_view topic, std::int32_t partition, std::int64_t offset, const Offsets& next) {
  std::string out(topic);
  out.append("/").append(std::to_string(partition)).append("/").append(std::to_string(offset));
  for (const auto& [other, wanted] : next) {
    if (other != partition) out.append(",").append(std::to_string(other)).append("/").append(std::to_string(wanted - 1));
  }
  return out;
}

struct StreamHub::Impl {
  std::string broker;
  std::string bootstrap;
  std::vector<config::BrokerOption> options;
  std::string topic;
  rd_kafka_t* handle = nullptr;
  std::atomic<bool> running{true};
  std::thread reader;

  mutable std::mutex mutex;
  std::condition_variable positioned_changed;
  bool positioned = false;
  bool tried = false;  // one attempt to position failed: clients are refused at once until one succeeds
  std::string problem = "not positioned yet";
  Offsets next;  // per partition, the next offset the shared reader hands out
  std::vector<std::shared_ptr<Client>> clients;
  std::deque<std::shared_ptr<Client>> waiting;  // resuming, not being caught up yet
  struct CatchUp {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::vector<std::unique_ptr<CatchUp>> catch_ups;

  // Under the lock. Advances the client past the message whether or not its key matches.
  void hand(Client& client, bridge::InboundMessage& message) {
    auto& wanted = client.next[message.partition];
    if (message.offset < wanted || client.gone.load()) return;
    wanted = message.offset + 1;
    if (client.key && (!message.key || *message.key != *client.key)) return;
    message.position = format_position(topic, message.partition, message.offset, client.next);
    client.receiver->event(message);
  }

  // Before the shared reader hands out its next message: gives clients that fell
  // behind up to kGrace to catch up, once per time they fall behind. The lock is let
  // go meanwhile.
  void pace(std::unique_lock<std::mutex>& lock) {
    const auto deadline = std::chrono::steady_clock::now() + kGrace;
    for (;;) {
      bool behind = false;
      for (const auto& client : clients) {
        if (!client->live || client->gone.load()) continue;
        if (client->receiver->ready_for_more()) {
          client->waited_for = false;
        } else if (!client->waited_for) {
          behind = true;
        }
      }
      if (!behind || !running.load()) return;
      if (std::chrono::steady_clock::now() >= deadline) {
        for (const auto& client : clients) {
          if (client->live && !client->receiver->ready_for_more()) client->waited_for = true;
        }
        return;
      }
      lock.unlock();
      std::this_thread::sleep_for(2ms);
      lock.lock();
    }
  }

  bool caught_up(const Client& client) const {
    return std::all_of(next.begin(), next.end(), [&](const auto& entry) {
      auto found = client.next.find(entry.first);
      return found != client.next.end() && found->second >= entry.second;
    });
  }

  // The topic's end as of now, per partition, and the shared reader assigned there.
  bool position(std::string& why) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(handle, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    auto error = rd_kafka_metadata(handle, 0, rkt, &metadata, 2000);
    rd_kafka_topic_destroy(rkt);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      why = std::string("no metadata: ") + rd_kafka_err2str(error);
      return false;
    }
    std::vector<std::int32_t> partitions;
    rd_kafka_resp_err_t topic_error = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (metadata->topic_cnt == 1) {
      topic_error = metadata->topics[0].err;
      for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) partitions.push_back(metadata->topics[0].partitions[i].id);
    }
    rd_kafka_metadata_destroy(metadata);
    if (topic_error != RD_KAFKA_RESP_ERR_NO_ERROR || partitions.empty()) {
      why = topic_error != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(topic_error) : "no partitions";
      return false;
    }
    Offsets ends;
    rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
    for (std::int32_t partition : partitions) {
      int64_t low = 0, high = 0;
      error = rd_kafka_query_watermark_offsets(handle, topic.c_str(), partition, &low, &high, 2000);
      if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_topic_partition_list_destroy(assignment);
        why = std::string("no end offset: ") + rd_kafka_err2str(error);
        return false;
      }
      ends[partition] = high;
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset = high;
    }
    error = rd_kafka_assign(handle, assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      why = std::string("cannot assign: ") + rd_kafka_err2str(error);
      return false;
    }
    std::lock_guard lock(mutex);
    next = std::move(ends);
    positioned = true;
    positioned_changed.notify_all();
    return true;
  }

  // Under the lock: forgets clients that left, joins finished catch-ups, starts waiting ones.
  void tidy() {
    std::erase_if(clients, [](const auto& client) { return client->gone.load(); });
    std::erase_if(catch_ups, [](auto& catch_up) {
      if (!catch_up->done.load()) return false;
      catch_up->thread.join();
      return true;
    });
    while (!waiting.empty() && catch_ups.size() < kCatchUpsAtOnce && running.load()) {
      auto client = std::move(waiting.front());
      waiting.pop_front();
      if (client->gone.load()) continue;
      auto catch_up = std::make_unique<CatchUp>();
      catch_up->thread = std::thread([this, client, done = &catch_up->done] {
        catch_up_reader(*client);
        done->store(true);
      });
      catch_ups.push_back(std::move(catch_up));
    }
  }

  void run() {
    while (running.load()) {
      std::string why;
      if (position(why)) break;
      {
        std::lock_guard lock(mutex);
        problem = why;
        tried = true;
      }
      positioned_changed.notify_all();
      for (int i = 0; i < 10 && running.load(); ++i) std::this_thread::sleep_for(100ms);
    }
    if (running.load()) spdlog::info("broker '{}': streaming {} to its clients from its end", broker, topic);
    auto tidied = std::chrono::steady_clock::now();
    while (running.load(std::memory_order_relaxed)) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(handle, 100);
      std::unique_lock lock(mutex);
      // Not once per message: with many clients, tidying is a pass over all of them.
      if (const auto now = std::chrono::steady_clock::now(); !message || now - tidied >= 100ms) {
        tidy();
        tidied = now;
      }
      if (!message) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        pace(lock);
        auto inbound = to_inbound(*message);
        next[inbound.partition] = inbound.offset + 1;
        for (const auto& client : clients) {
          if (client->live) hand(*client, inbound);
        }
      } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        spdlog::warn("broker '{}': streaming {}: {}", broker, topic, rd_kafka_message_errstr(message));
      }
      rd_kafka_message_destroy(message);
    }
  }

  // Reads what a resuming client missed until it is where the shared reader is, then
  // hands it over: from then on the shared reader gives it only what follows.
  void catch_up_reader(Client& client) {
    rd_kafka_t* own = nullptr;
    try {
      own = new_consumer(broker + "-stream-resume", bootstrap, options, true);
    } catch (const std::exception& error) {
      spdlog::warn("broker '{}': streaming {}: {}", broker, topic, error.what());
      std::lock_guard lock(mutex);
      client.receiver->ended(error.what());
      return;
    }
    {
      std::lock_guard lock(mutex);
      rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
      for (const auto& [partition, end] : next) {
        auto wanted = client.next.find(partition);
        if (wanted != client.next.end() && wanted->second < end) {
          rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset = wanted->second;
        }
      }
      rd_kafka_assign(own, assignment);
      rd_kafka_topic_partition_list_destroy(assignment);
    }
    std::optional<std::chrono::steady_clock::time_point> behind_since;
    while (running.load() && !client.gone.load()) {
      // Its own reader waits for the client too, as long as the shared one would: a
      // client that stalls is cut off by its buffer, and frees the reader for others.
      if (!client.receiver->ready_for_more()) {
        if (!behind_since) behind_since = std::chrono::steady_clock::now();
        if (std::chrono::steady_clock::now() - *behind_since < kGrace) {
          std::this_thread::sleep_for(5ms);
          continue;
        }
      } else {
        behind_since.reset();
      }
      rd_kafka_message_t* message = rd_kafka_consumer_poll(own, 100);
      std::lock_guard lock(mutex);
      if (message && message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        auto inbound = to_inbound(*message);
        hand(client, inbound);
      } else if (message && message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        auto& wanted = client.next[message->partition];
        wanted = std::max<std::int64_t>(wanted, message->offset);
      }
      if (message) rd_kafka_message_destroy(message);
      if (caught_up(client)) {
        client.live = true;
        break;
      }
    }
    destroy_consumer(own);
  }
};

StreamHub::StreamHub(std::string broker, std::string bootstrap, std::vector<config::BrokerOption> options,
                     std::string topic)
    : impl_(std::make_shared<Impl>()) {
  auto& s = *impl_;
  s.broker = std::move(broker);
  s.bootstrap = std::move(bootstrap);
  s.options = std::move(options);
  s.topic = std::move(topic);
  s.handle = new_consumer(s.broker + "-stream", s.bootstrap, s.options, false);
  s.reader = std::thread([&s] { s.run(); });
}

StreamHub::~StreamHub() {
  auto& s = *impl_;
  s.running.store(false);
  if (s.reader.joinable()) s.reader.join();
  for (auto& catch_up : s.catch_ups) catch_up->thread.join();
  destroy_consumer(s.handle);
}

std::unique_ptr<bridge::StreamSubscription> StreamHub::subscribe(const bridge::StreamRequest& request,
                                                                 std::shared_ptr<bridge::StreamReceiver> receiver) {
  auto& s = *impl_;
  std::optional<Offsets> resume;
  if (request.resume_after) {
    resume = parse_position(*request.resume_after, s.topic);
    if (!resume) throw bridge::BadStreamPosition("'" + *request.resume_after + "' is not a position of topic " + s.topic);
  }
  std::unique_lock lock(s.mutex);
  // The listener's thread waits here: only for the first attempt, never once per client.
  s.positioned_changed.wait_for(lock, kPositionWait, [&] { return s.positioned || s.tried; });
  if (!s.positioned) throw std::runtime_error("topic " + s.topic + " cannot be read: " + s.problem);
  auto client = std::make_shared<Client>();
  client->receiver = std::move(receiver);
  client->key = request.key;
  client->next = s.next;
  bool behind = false;
  if (resume) {
    for (const auto& [partition, wanted] : *resume) {
      auto end = s.next.find(partition);
      if (end == s.next.end()) continue;  // a partition the topic does not have (any more)
      client->next[partition] = wanted;
      behind = behind || wanted < end->second;
    }
  }
  client->live = !behind;
  s.clients.push_back(client);
  if (behind) {
    s.waiting.push_back(client);
    s.tidy();
  }
  return std::make_unique<Subscription>(std::move(client));
}

}  // namespace causeway::kafka
