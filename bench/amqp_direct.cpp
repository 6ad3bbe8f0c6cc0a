// What Causeway's RabbitMQ routes do, done directly with rabbitmq-c: bench/run rabbitmq's
// baselines, on one connection and one channel as Causeway's publishing side uses.
//
//   amqp_direct queue --port P --queue Q [--exchange X --bind KEY] [--max-length N]
//       Declares the topic exchange X (durable), the durable queue Q (with x-max-length N,
//       so a long run cannot fill the broker's disk) and the binding, then purges Q: each
//       run starts from an empty queue. Fails while the broker is not up yet.
//
//   amqp_direct publish --port P --exchange X --routing-key K --window W --duration D
//       An event route's work: persistent messages with `mandatory` on a channel in
//       confirm mode, at most W unconfirmed at once (as W waiting HTTP callers would
//       keep), each timed from its publish to the broker's basic.ack.
//
//   amqp_direct rr --port P --routing-key Q (--rate N | --in-flight 1) --duration D [--warmup D]
//       A request-reply route's round trip with direct reply-to: requests published to the
//       default exchange (confirmed, mandatory, persistent) with reply_to
//       amq.rabbitmq.reply-to and a correlation id, so that the same responder (a Causeway
//       delivery route) answers them; replies consumed without acks on the same channel.
//       --rate: open loop, latency from each request's due time (as bench/loadgen rate);
//       --in-flight 1: closed loop of one, latency from the send (as wrk -c1).
//
// One line of key=value pairs goes to stdout (times in ms, as loadgen's): ok counts the
// confirmed messages (publish) or the 2xx replies, warm-up included (rr), and
// self_cpu_us is this program's own CPU time per ok. Exit status 2 when a message was
// nacked, returned or not answered; 1 on a usage or connection error.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "latency.h"

namespace {

using namespace bench;  // latency.h: the clock, the argument readers, die, percentiles

struct Options {
  std::string mode, exchange, queue, bind, routing_key;
  std::string body{bench::kBody};
  int port = 5672;
  long max_length = 0;
  long window = 1;
  double rate = 0;
  bool one_in_flight = false;
  Nanos duration = 0, warmup = 0, timeout = 10 * kSecond;
};

Options parse_options(int argc, char** argv) {
  if (argc < 2) die("usage: amqp_direct queue|publish|rr ... (see the comment at the top of bench/amqp_direct.cpp)");
  Options o;
  o.mode = argv[1];
  auto number = [](std::string_view v) {
    double n = bench::number_or_die(v);
    if (n < 0) die("not a number >= 0: " + std::string(v));
    return n;
  };
  for (int i = 2; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) die(std::string(flag) + " needs a value");
    std::string_view value = argv[++i];
    if (flag == "--port") o.port = int(number(value));
    else if (flag == "--exchange") o.exchange = value;
    else if (flag == "--queue") o.queue = value;
    else if (flag == "--bind") o.bind = value;
    else if (flag == "--routing-key") o.routing_key = value;
    else if (flag == "--max-length") o.max_length = long(number(value));
    else if (flag == "--window") o.window = long(number(value));
    else if (flag == "--rate") o.rate = number(value);
    else if (flag == "--duration") o.duration = bench::duration_or_die(value);
    else if (flag == "--warmup") o.warmup = bench::duration_or_die(value);
    else if (flag == "--timeout") o.timeout = bench::duration_or_die(value);
    else if (flag == "--body") o.body = value;
    else if (flag == "--in-flight") {
      if (value != "1") die("--in-flight takes 1 (a closed loop of one); use --rate for more");
      o.one_in_flight = true;
    } else {
      die("unknown argument " + std::string(flag));
    }
  }
  bool usable = o.mode == "queue"     ? !o.queue.empty() && o.bind.empty() == o.exchange.empty()
                : o.mode == "publish" ? !o.exchange.empty() && !o.routing_key.empty() && o.window >= 1 && o.duration > 0
                : o.mode == "rr"      ? !o.routing_key.empty() && o.duration > 0 && (o.rate > 0) != o.one_in_flight
                                      : false;
  if (!usable) die("missing or conflicting arguments for '" + o.mode + "' (see bench/amqp_direct.cpp)");
  return o;
}

amqp_bytes_t bytes(const std::string& text) { return amqp_bytes_t{text.size(), const_cast<char*>(text.data())}; }

void check(amqp_connection_state_t connection, const char* what) {
  amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) die(std::string(what) + ": " + amqp_error_string2(reply.library_error));
  die(std::string(what) + ": the broker refused it (method " + std::to_string(reply.reply.id) + ")");
}

constexpr amqp_channel_t kChannel = 1;

amqp_connection_state_t connect_to(int port) {
  amqp_connection_state_t connection = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(connection);
  if (!socket || amqp_socket_open(socket, "127.0.0.1", port) != AMQP_STATUS_OK) {
    die("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  // No heartbeats: rabbitmq-c sends them only from within its calls, and a run is short.
  amqp_rpc_reply_t login =
      amqp_login(connection, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
  if (login.reply_type != AMQP_RESPONSE_NORMAL) die("login as guest failed");
  amqp_channel_open(connection, kChannel);
  check(connection, "channel.open");
  return connection;
}

void close_connection(amqp_connection_state_t connection) {
  amqp_channel_close(connection, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(connection, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(connection);
}

int declare_queue(const Options& o) {
  amqp_connection_state_t connection = connect_to(o.port);
  if (!o.exchange.empty()) {
    amqp_exchange_declare(connection, kChannel, bytes(o.exchange), amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
    check(connection, "exchange.declare");
  }
  amqp_table_entry_t limit{};
  limit.key = amqp_cstring_bytes("x-max-length");
  limit.value.kind = AMQP_FIELD_KIND_I64;
  limit.value.value.i64 = o.max_length;
  amqp_table_t arguments = o.max_length > 0 ? amqp_table_t{1, &limit} : amqp_empty_table;
  amqp_queue_declare(connection, kChannel, bytes(o.queue), 0, 1, 0, 0, arguments);
  check(connection, "queue.declare");
  if (!o.bind.empty()) {
    amqp_queue_bind(connection, kChannel, bytes(o.queue), bytes(o.exchange), bytes(o.bind), amqp_empty_table);
    check(connection, "queue.bind");
  }
  amqp_queue_purge(connection, kChannel, bytes(o.queue));
  check(connection, "queue.purge");
  close_connection(connection);
  std::printf("queue=%s ready\n", o.queue.c_str());
  return 0;
}

// The properties Causeway gives a message it publishes (README, "RabbitMQ"): persistent,
// the content type, a correlation id that is also the message id, and the time.
struct Properties {
  amqp_basic_properties_t basic{};
  std::string id;
  Properties(std::string correlation, const char* reply_to) : id(std::move(correlation)) {
    basic._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CORRELATION_ID_FLAG |
                   AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
    basic.content_type = amqp_cstring_bytes("application/json");
    basic.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    basic.correlation_id = bytes(id);
    basic.message_id = bytes(id);
    basic.timestamp = std::uint64_t(time(nullptr));
    if (reply_to) {
      basic._flags |= AMQP_BASIC_REPLY_TO_FLAG;
      basic.reply_to = amqp_cstring_bytes(reply_to);
    }
  }
};

// What the broker said on our channel, one frame at a time.
struct Frames {
  amqp_connection_state_t connection;
  long acked = 0, nacked = 0, returned = 0;

  // Waits at most `wait` for one frame; false when none came. Content that follows a
  // basic.return or basic.deliver is read here too and handed to on_deliver.
  template <typename OnAck, typename OnDeliver>
  bool next(Nanos wait, OnAck&& on_ack, OnDeliver&& on_deliver) {
    // rabbitmq-c rounds a wait down to whole milliseconds (amqp_time_ms_until): a shorter one
    // returns at once, and a fixed-rate schedule spun until its next due time. So the socket
    // is waited for here, to the nanosecond, and the library asked only for what is there.
    if (!amqp_frames_enqueued(connection) && !amqp_data_in_buffer(connection)) {
      pollfd readable{amqp_get_sockfd(connection), POLLIN, 0};
      timespec ts{time_t(wait / kSecond), long(wait % kSecond)};
      if (ppoll(&readable, 1, &ts, nullptr) == 0) return false;
    }
    timeval now{0, 0};
    amqp_frame_t frame;
    int status = amqp_simple_wait_frame_noblock(connection, &frame, &now);
    if (status == AMQP_STATUS_TIMEOUT) return false;
    if (status != AMQP_STATUS_OK) die(std::string("reading from the broker: ") + amqp_error_string2(status));
    if (frame.frame_type != AMQP_FRAME_METHOD) return true;
    switch (frame.payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        on_ack(ack->delivery_tag, ack->multiple != 0, true);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
        on_ack(nack->delivery_tag, nack->multiple != 0, false);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD:
      case AMQP_BASIC_DELIVER_METHOD: {
        const bool returned_message = frame.payload.method.id == AMQP_BASIC_RETURN_METHOD;
        amqp_message_t message;
        amqp_rpc_reply_t read = amqp_read_message(connection, frame.channel, &message, 0);
        if (read.reply_type != AMQP_RESPONSE_NORMAL) die("reading a message's content failed");
        if (returned_message) {
          ++returned;  // its basic.ack follows; unroutable is a failure all the same
        } else {
          on_deliver(message);
        }
        amqp_destroy_message(&message);
        break;
      }
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD:
        die("the broker closed the channel or connection");
      default:
        break;
    }
    amqp_maybe_release_buffers(connection);
    return true;
  }
};

void confirm_select(amqp_connection_state_t connection) {
  amqp_confirm_select(connection, kChannel);
  check(connection, "confirm.select");
}

int publish(const Options& o) {
  amqp_connection_state_t connection = connect_to(o.port);
  confirm_select(connection);
  const std::string run = "direct-" + std::to_string(getpid()) + "-";
  Frames frames{connection};
  std::map<std::uint64_t, Nanos> unconfirmed;  // delivery tag -> publish time
  std::vector<Nanos> latencies;
  std::uint64_t next_tag = 1;  // confirm mode numbers a channel's publishes from 1
  long confirmed = 0, failed = 0;
  auto on_ack = [&](std::uint64_t tag, bool multiple, bool ack) {
    Nanos done = now_ns();
    auto last = multiple ? unconfirmed.upper_bound(tag) : unconfirmed.find(tag);
    auto first = multiple ? unconfirmed.begin() : last;
    if (!multiple) {
      if (last == unconfirmed.end()) return;
      ++last;
    }
    for (auto it = first; it != last; ++it) {
      if (ack) {
        latencies.push_back(done - it->second);
        ++confirmed;
      } else {
        ++failed;
      }
    }
    unconfirmed.erase(first, last);
  };
  auto ignore = [](const amqp_message_t&) {};

  const Nanos cpu_start = bench::own_cpu_ns();
  const Nanos start = now_ns(), end = start + o.duration;
  Nanos now = start;
  while (now < end || !unconfirmed.empty()) {
    while (now < end && long(unconfirmed.size()) < o.window) {
      Properties properties(run + std::to_string(next_tag), nullptr);
      unconfirmed[next_tag++] = now_ns();
      if (amqp_basic_publish(connection, kChannel, bytes(o.exchange), bytes(o.routing_key), 1, 0, &properties.basic,
                             bytes(o.body)) != AMQP_STATUS_OK) {
        die("basic.publish failed");
      }
    }
    now = now_ns();
    if (now >= end + o.timeout) break;  // what is still unconfirmed is reported below
    frames.next(now < end ? end - now : o.timeout, on_ack, ignore);
    now = now_ns();
  }
  const Nanos finished = now_ns(), cpu = bench::own_cpu_ns() - cpu_start;
  const long unanswered = long(unconfirmed.size());
  close_connection(connection);
  std::printf("window=%ld rps=%.1f published=%llu ok=%ld nacked=%ld returned=%ld unanswered=%ld %s self_cpu_us=%.1f\n",
              o.window, double(confirmed) * double(kSecond) / double(finished - start),
              static_cast<unsigned long long>(next_tag - 1), confirmed, failed, frames.returned, unanswered,
              bench::percentiles(latencies).c_str(), confirmed > 0 ? double(cpu) / 1e3 / double(confirmed) : 0.0);
  return failed > 0 || frames.returned > 0 || unanswered > 0 ? 2 : 0;
}

// The reply's correlation id "direct-<pid>-<i>" -> i, and its status header (200 without one).
bool read_reply(const amqp_message_t& message, long& id, int& status) {
  const amqp_basic_properties_t& p = message.properties;
  if (!(p._flags & AMQP_BASIC_CORRELATION_ID_FLAG)) return false;
  std::string_view correlation(static_cast<const char*>(p.correlation_id.bytes), p.correlation_id.len);
  auto dash = correlation.rfind('-');
  if (dash == std::string_view::npos ||
      std::from_chars(correlation.data() + dash + 1, correlation.data() + correlation.size(), id).ec != std::errc{}) {
    return false;
  }
  status = 200;
  if (!(p._flags & AMQP_BASIC_HEADERS_FLAG)) return true;
  for (int i = 0; i < p.headers.num_entries; ++i) {
    const amqp_table_entry_t& entry = p.headers.entries[i];
    std::string_view key(static_cast<const char*>(entry.key.bytes), entry.key.len);
    if (key != "status" || entry.value.kind != AMQP_FIELD_KIND_UTF8) continue;
    const char* text = static_cast<const char*>(entry.value.value.bytes.bytes);
    std::from_chars(text, text + entry.value.value.bytes.len, status);
  }
  return true;
}

int round_trips(const Options& o) {
  amqp_connection_state_t connection = connect_to(o.port);
  // Direct reply-to is consumed without acks on the channel that publishes the requests.
  amqp_basic_consume(connection, kChannel, amqp_cstring_bytes("amq.rabbitmq.reply-to"), amqp_empty_bytes, 0, 1, 0,
                     amqp_empty_table);
  check(connection, "basic.consume amq.rabbitmq.reply-to");
  confirm_select(connection);
  const std::string run = "direct-" + std::to_string(getpid()) + "-";
  Frames frames{connection};
  std::map<long, Nanos> waiting;  // request -> due (or send) time; < 0: warm-up, not measured
  std::map<int, long> statuses;
  std::vector<Nanos> latencies;
  long nacked = 0;
  auto on_ack = [&](std::uint64_t, bool, bool ack) { nacked += ack ? 0 : 1; };
  auto on_reply = [&](const amqp_message_t& message) {
    Nanos done = now_ns();
    long id = 0;
    int status = 0;
    if (!read_reply(message, id, status)) return;
    auto found = waiting.find(id);
    if (found == waiting.end()) return;
    ++statuses[status];
    if (found->second >= 0) latencies.push_back(done - found->second);
    waiting.erase(found);
  };
  auto send = [&](long id, Nanos since) {
    Properties properties(run + std::to_string(id), "amq.rabbitmq.reply-to");
    waiting[id] = since;
    if (amqp_basic_publish(connection, kChannel, amqp_empty_bytes, bytes(o.routing_key), 1, 0, &properties.basic,
                           bytes(o.body)) != AMQP_STATUS_OK) {
      die("basic.publish failed");
    }
  };
  // Waits for frames until `until`, or until nothing is waiting when `until_empty`.
  auto pump = [&](Nanos until, bool until_empty) {
    for (Nanos now = now_ns(); now < until && !(until_empty && waiting.empty()); now = now_ns()) {
      frames.next(until - now, on_ack, on_reply);
    }
  };

  const Nanos cpu_start = bench::own_cpu_ns();
  // One request before the schedule, untimed: the responder is known to answer.
  send(0, -1);
  pump(now_ns() + o.timeout, true);
  if (!waiting.empty()) die("no reply to the first request within the timeout");

  const Nanos start = now_ns() + 10'000'000, window_start = start + o.warmup, end = window_start + o.duration;
  long sent = 1;
  if (o.one_in_flight) {
    for (Nanos now = now_ns(); now < end; now = now_ns(), ++sent) {
      send(sent, now >= window_start ? now : -1);
      pump(now + o.timeout, true);
      if (!waiting.empty()) break;
    }
  } else {
    // One thread owns the connection (rabbitmq-c is not thread-safe), so it waits for
    // replies until the next request is due instead of sleeping.
    const double interval = double(kSecond) / o.rate;
    for (;; ++sent) {
      Nanos due = start + Nanos(interval * double(sent - 1));
      if (due >= end) break;
      pump(due, false);
      send(sent, due >= window_start ? due : -1);
    }
  }
  pump(now_ns() + o.timeout, true);
  const Nanos finished = now_ns(), cpu = bench::own_cpu_ns() - cpu_start;
  close_connection(connection);

  long ok = 0, bad = 0;
  for (auto [status, count] : statuses) (status / 100 == 2 ? ok : bad) += count;
  const long measured = long(latencies.size()), unanswered = long(waiting.size());
  double achieved = double(measured) * double(kSecond) / double(std::max<Nanos>(1, std::min(end, finished) - window_start));
  std::printf("target_rate=%.0f achieved_rate=%.1f sent=%ld ok=%ld non2xx=%ld nacked=%ld returned=%ld unanswered=%ld "
              "measured=%ld %s self_cpu_us=%.1f\n",
              o.rate, achieved, sent, ok, bad, nacked, frames.returned, unanswered, measured,
              bench::percentiles(latencies).c_str(), ok > 0 ? double(cpu) / 1e3 / double(ok) : 0.0);
  return bad > 0 || nacked > 0 || frames.returned > 0 || unanswered > 0 ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  if (o.mode == "queue") return declare_queue(o);
  if (o.mode == "publish") return publish(o);
  return round_trips(o);
}
