// The request-reply round trip that Causeway's `to: {broker, topic, reply}` route makes,
// made directly with librdkafka: bench/run rr's baseline for what Causeway adds.
//
//   kafka_direct --bootstrap HOST:PORT --topic T --reply-topic R (--rate N | --in-flight 1)
//                --duration D [--warmup D] [--body TEXT] [--timeout D]
//                [--producer name=value]... [--consumer name=value]...
//
// Each request goes to T with the headers Causeway's request-reply flow writes
// (correlation-id, reply-to R, reply-partition 0, content-type, traceparent), so the same
// responder (a Causeway delivery route) answers it on R partition 0, which this program
// reads from its end as of the start, as Causeway's reply consumer does.
//
// --rate N: open loop, request i due at start + i/N, latency from the due time (as
// bench/loadgen rate). --in-flight 1: closed loop, the next request leaves when the reply
// to the last one came, latency from the send (as wrk -c1). Requests due in the warm-up
// are not measured. One line of key=value pairs goes to stdout (times in ms, as
// loadgen's): ok counts every answered request, warm-up included, and self_cpu_us is this
// program's own CPU time per ok. Exit status 2 when a request failed or got no reply.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "latency.h"

namespace {

using namespace bench;  // latency.h: the clock, the argument readers, die, percentiles

struct Options {
  std::string bootstrap, topic, reply_topic;
  std::string body{bench::kBody};
  std::vector<std::pair<std::string, std::string>> producer, consumer;
  double rate = 0;
  bool one_in_flight = false;
  Nanos duration = 0, warmup = 0, timeout = 10 * kSecond;
};

std::pair<std::string, std::string> setting(std::string_view text) {
  auto equals = text.find('=');
  if (equals == std::string_view::npos) die("expected name=value: " + std::string(text));
  return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) die(std::string(flag) + " needs a value");
    std::string_view value = argv[++i];
    if (flag == "--bootstrap") o.bootstrap = value;
    else if (flag == "--topic") o.topic = value;
    else if (flag == "--reply-topic") o.reply_topic = value;
    else if (flag == "--body") o.body = value;
    else if (flag == "--duration") o.duration = bench::duration_or_die(value);
    else if (flag == "--warmup") o.warmup = bench::duration_or_die(value);
    else if (flag == "--timeout") o.timeout = bench::duration_or_die(value);
    else if (flag == "--producer") o.producer.push_back(setting(value));
    else if (flag == "--consumer") o.consumer.push_back(setting(value));
    else if (flag == "--rate") o.rate = bench::number_or_die(value);
    else if (flag == "--in-flight") {
      if (value != "1") die("--in-flight takes 1 (a closed loop of one); use --rate for more");
      o.one_in_flight = true;
    } else {
      die("unknown argument " + std::string(flag));
    }
  }
  if (o.bootstrap.empty() || o.topic.empty() || o.reply_topic.empty() || o.duration <= 0 ||
      (o.rate <= 0) == !o.one_in_flight) {
    die("usage: kafka_direct --bootstrap B --topic T --reply-topic R (--rate N | --in-flight 1) --duration D");
  }
  return o;
}

rd_kafka_t* make_client(rd_kafka_type_t type, const Options& o,
                        const std::vector<std::pair<std::string, std::string>>& settings,
                        std::atomic<long>* delivery_failures = nullptr) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) die(error);
  };
  set("bootstrap.servers", o.bootstrap);
  if (type == RD_KAFKA_CONSUMER) set("group.id", "kafka-direct");  // librdkafka wants one to assign; none is joined
  for (const auto& [name, value] : settings) set(name, value);
  if (delivery_failures) {
    rd_kafka_conf_set_opaque(conf, delivery_failures);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* message, void* failures) {
      if (message->err) static_cast<std::atomic<long>*>(failures)->fetch_add(1);
    });
  }
  rd_kafka_t* client = rd_kafka_new(type, conf, error, sizeof error);
  if (!client) die(error);
  return client;
}

// Reads the reply topic's partition 0 from its end as of now (the topic is created on the
// way, as for Causeway's reply consumer on the embedded broker).
void position_at_end(rd_kafka_t* consumer, const std::string& topic) {
  const Nanos deadline = now_ns() + 30 * kSecond;
  for (;;) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    auto error = rd_kafka_metadata(consumer, 0, handle, &metadata, 5000);
    rd_kafka_topic_destroy(handle);
    bool ready = error == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
                 metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topics[0].partition_cnt > 0;
    if (metadata) rd_kafka_metadata_destroy(metadata);
    int64_t low = 0, high = 0;
    if (ready && rd_kafka_query_watermark_offsets(consumer, topic.c_str(), 0, &low, &high, 5000) ==
                     RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), 0)->offset = high;
      error = rd_kafka_assign(consumer, assignment);
      rd_kafka_topic_partition_list_destroy(assignment);
      if (error != RD_KAFKA_RESP_ERR_NO_ERROR) die(std::string("cannot assign: ") + rd_kafka_err2str(error));
      return;
    }
    if (now_ns() > deadline) die("no metadata or end offset for " + topic + " within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Requests waiting for their reply: correlation id -> when the request was due (or sent).
class Outstanding {
 public:
  void add(long id, Nanos since) {
    std::lock_guard lock(mutex_);
    waiting_[id] = since;
  }
  // The time the request waited for, if it was still waiting.
  std::optional<Nanos> take(long id) {
    std::lock_guard lock(mutex_);
    auto found = waiting_.find(id);
    if (found == waiting_.end()) return std::nullopt;
    Nanos since = found->second;
    waiting_.erase(found);
    changed_.notify_all();
    return since;
  }
  // Closed loop: waits until nothing is outstanding or the deadline passed; false on a timeout.
  bool wait_empty(Nanos deadline) {
    std::unique_lock lock(mutex_);
    while (!waiting_.empty()) {
      Nanos left = deadline - now_ns();
      if (left <= 0) return false;
      changed_.wait_for(lock, std::chrono::nanoseconds(left));
    }
    return true;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<long, Nanos> waiting_;
};

struct Tally {
  std::mutex mutex;
  std::vector<Nanos> latencies;  // measured requests only
  std::map<int, long> statuses;  // every reply, warm-up included
};

int header_status(const rd_kafka_message_t* message, long& id) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_header_get_last(headers, "correlation-id", &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  std::string_view text(static_cast<const char*>(value), size);
  auto dash = text.rfind('-');  // "direct-<run>-<i>"
  if (dash == std::string_view::npos || std::from_chars(text.data() + dash + 1, text.data() + size, id).ec != std::errc{}) {
    return -1;
  }
  int status = 200;  // a reply without a status header is a 200, as Causeway reads it
  if (rd_kafka_header_get_last(headers, "status", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::from_chars(static_cast<const char*>(value), static_cast<const char*>(value) + size, status);
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  std::atomic<long> delivery_failures{0};
  rd_kafka_t* producer = make_client(RD_KAFKA_PRODUCER, o, o.producer, &delivery_failures);
  rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, o, o.consumer);
  rd_kafka_poll_set_consumer(consumer);
  position_at_end(consumer, o.reply_topic);

  const std::string run = std::to_string(getpid());
  const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  Outstanding outstanding;
  Tally tally;
  std::atomic<bool> stop{false};
  std::atomic<long> send_errors{0};
  auto send = [&](long id) {
    const std::string correlation = "direct-" + run + "-" + std::to_string(id);
    auto error = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_VALUE(const_cast<char*>(o.body.data()), o.body.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADER("correlation-id", correlation.data(), ssize_t(correlation.size())),
        RD_KAFKA_V_HEADER("reply-to", o.reply_topic.data(), ssize_t(o.reply_topic.size())),
        RD_KAFKA_V_HEADER("reply-partition", "0", 1), RD_KAFKA_V_HEADER("content-type", "application/json", 16),
        RD_KAFKA_V_HEADER("traceparent", traceparent.data(), ssize_t(traceparent.size())), RD_KAFKA_V_END);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++send_errors;
      outstanding.take(id);
    }
  };

  const Nanos cpu_start = bench::own_cpu_ns();
  std::thread reader([&] {
    while (!stop) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
      if (!message) continue;
      Nanos done = now_ns();
      long id = -1;
      int status = message->err ? -1 : header_status(message, id);
      rd_kafka_message_destroy(message);
      if (status < 0) continue;
      auto since = outstanding.take(id);
      if (!since) continue;  // a reply for another run, or one already counted
      std::lock_guard lock(tally.mutex);
      ++tally.statuses[status];
      if (*since >= 0) tally.latencies.push_back(done - *since);  // negative: warm-up, not measured
    }
  });
  std::thread poller([&] {  // delivery reports
    while (!stop) rd_kafka_poll(producer, 100);
  });

  // One request before the schedule, untimed: the producer's connection and the
  // responder are known to work before anything is measured.
  outstanding.add(0, -1);
  send(0);
  if (!outstanding.wait_empty(now_ns() + o.timeout)) die("no reply to the first request within the timeout");

  // "since" < 0 marks a warm-up request: its reply is counted, its latency is not.
  const Nanos start = now_ns() + 10'000'000, window_start = start + o.warmup, end = window_start + o.duration;
  long sent = 1;
  if (o.one_in_flight) {
    for (Nanos now = now_ns(); now < end; now = now_ns(), ++sent) {
      outstanding.add(sent, now >= window_start ? now : -1);
      send(sent);
      if (!outstanding.wait_empty(now + o.timeout)) break;  // counted below as unanswered
    }
  } else {
    const double interval = double(kSecond) / o.rate;
    for (;; ++sent) {
      Nanos due = start + Nanos(interval * double(sent - 1));
      if (due >= end) break;
      bench::sleep_until(due);
      outstanding.add(sent, due >= window_start ? due : -1);
      send(sent);
    }
  }
  const bool drained = outstanding.wait_empty(now_ns() + o.timeout);
  const Nanos finished = now_ns();
  stop = true;
  reader.join();
  poller.join();
  const Nanos cpu = bench::own_cpu_ns() - cpu_start;
  rd_kafka_flush(producer, 5000);

  long ok = 0, bad = 0;
  for (auto [status, count] : tally.statuses) (status / 100 == 2 ? ok : bad) += count;
  const long unanswered = drained ? 0 : long(outstanding.size());
  const long measured = long(tally.latencies.size());
  // Closed loop: answers per second of the measured window; open loop: the rate kept.
  double achieved = double(measured) * double(kSecond) / double(std::max<Nanos>(1, std::min(end, finished) - window_start));
  std::printf("target_rate=%.0f achieved_rate=%.1f sent=%ld ok=%ld non2xx=%ld errors=%ld unanswered=%ld measured=%ld %s "
              "self_cpu_us=%.1f\n",
              o.rate, achieved, sent, ok, bad, send_errors.load() + delivery_failures.load(), unanswered, measured,
              bench::percentiles(tally.latencies).c_str(), ok > 0 ? double(cpu) / 1e3 / double(ok) : 0.0);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  return bad > 0 || unanswered > 0 || send_errors > 0 || delivery_failures > 0 ? 2 : 0;
}
