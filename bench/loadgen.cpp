// Open-loop HTTP/1.1 load generator and helpers for bench/run.
//
//   loadgen rate URL --rate R (--duration D | --requests N) [--connections N] [--threads T]
//                [--warmup D] [--method M] [--body TEXT | --body-file F] [--header 'K: V']...
//                [--stamp NAME] [--drain D] [--allow-errors]
//       Sends requests on a fixed timeline (request i is due at start + i/R) over N
//       keep-alive connections, one request in flight per connection. Latency runs from
//       the time a request was due, not from when a connection was free to send it, so a
//       server that falls behind shows its queueing instead of slowing the client down
//       (the coordinated omission wrk's closed loop suffers from). With --stamp, each
//       measured request carries header NAME with its due time (CLOCK_MONOTONIC ns), for
//       `record` to compute end-to-end latency through Kafka.
//
//   loadgen hold URL --connections N [--duration D] [--method M] [--body TEXT]
//       Opens N connections, sends one request on each (a server may drop a connection
//       that never sent a request), then keeps them open and idle until the duration
//       ends or SIGTERM. Prints "held=N" once all answered.
//
//   loadgen record --listen HOST:PORT --stamp NAME [--expect N] [--idle D] [--timeout D]
//       A tiny HTTP service that answers 200 to everything and records, for each request
//       carrying header NAME, now - NAME. Exits after N stamped requests, after D without
//       one (once the first came), after the timeout, or on SIGTERM.
//
// Results go to stdout as one line of key=value pairs (times in ms), so bash can pick
// fields; progress and problems go to stderr. The exit status is 2 when an answer was
// not 2xx or a request failed (unless --allow-errors), 1 on a usage or setup error.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "latency.h"

namespace {

using bench::kSecond;
using bench::ms;
using bench::Nanos;
using bench::now_ns;
using bench::percentiles;

using bench::die;

std::atomic<bool> g_stop{false};

void install_stop_handler() {
  struct sigaction action {};
  action.sa_handler = [](int) { g_stop = true; };
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: epoll_wait returns EINTR and the loop sees the flag
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// ---- command line -------------------------------------------------------------------

struct Options {
  std::string mode, url, method, body, stamp, listen;
  std::vector<std::string> headers;
  double rate = 0;
  long requests = 0;
  long expect = 0;
  int connections = 16;
  int threads = 1;
  Nanos duration = 0, warmup = 0, drain = 10 * kSecond, idle = 3 * kSecond, timeout = 120 * kSecond;
  bool allow_errors = false;
};

Options parse_options(int argc, char** argv) {
  if (argc < 2) die("usage: loadgen rate|hold|record ... (see the comment at the top of bench/loadgen.cpp)");
  Options o;
  o.mode = argv[1];
  std::map<std::string, std::function<void(std::string_view)>> flags = {
      {"--rate", [&](auto v) { o.rate = bench::number_or_die(v); }},
      {"--duration", [&](auto v) { o.duration = bench::duration_or_die(v); }},
      {"--requests", [&](auto v) { o.requests = long(bench::number_or_die(v)); }},
      {"--connections", [&](auto v) { o.connections = int(bench::number_or_die(v)); }},
      {"--threads", [&](auto v) { o.threads = int(bench::number_or_die(v)); }},
      {"--warmup", [&](auto v) { o.warmup = bench::duration_or_die(v); }},
      {"--drain", [&](auto v) { o.drain = bench::duration_or_die(v); }},
      {"--method", [&](auto v) { o.method = v; }},
      {"--body", [&](auto v) { o.body = v; }},
      {"--body-file",
       [&](auto v) {
         std::ifstream in{std::string(v), std::ios::binary};
         if (!in) die("cannot read " + std::string(v));
         o.body.assign(std::istreambuf_iterator<char>(in), {});
       }},
      {"--header", [&](auto v) { o.headers.emplace_back(v); }},
      {"--stamp", [&](auto v) { o.stamp = v; }},
      {"--listen", [&](auto v) { o.listen = v; }},
      {"--expect", [&](auto v) { o.expect = long(bench::number_or_die(v)); }},
      {"--idle", [&](auto v) { o.idle = bench::duration_or_die(v); }},
      {"--timeout", [&](auto v) { o.timeout = bench::duration_or_die(v); }},
  };
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--allow-errors") {
      o.allow_errors = true;
    } else if (auto flag = flags.find(std::string(arg)); flag != flags.end()) {
      if (i + 1 >= argc) die(std::string(arg) + " needs a value");
      flag->second(argv[++i]);
    } else if (!arg.starts_with("--") && o.url.empty()) {
      o.url = arg;
    } else {
      die("unknown argument " + std::string(arg));
    }
  }
  if (o.method.empty()) o.method = o.body.empty() && o.mode == "hold" ? "GET" : "POST";
  if (o.connections < 1 || o.threads < 1) die("--connections and --threads must be at least 1");
  return o;
}

// ---- addresses and sockets ---------------------------------------------------------

struct Endpoint {
  std::string host, port;
  sockaddr_storage address{};
  socklen_t address_length = 0;
};

Endpoint resolve(const std::string& host, const std::string& port) {
  Endpoint endpoint{host, port};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    die("cannot resolve " + host + ":" + port + ": " + gai_strerror(rc));
  }
  std::memcpy(&endpoint.address, found->ai_addr, found->ai_addrlen);
  endpoint.address_length = found->ai_addrlen;
  freeaddrinfo(found);
  return endpoint;
}

Endpoint split_host_port(std::string_view authority) {
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) return resolve(std::string(authority), "80");
  return resolve(std::string(authority.substr(0, colon)), std::string(authority.substr(colon + 1)));
}

struct Url {
  Endpoint endpoint;
  std::string authority, path;
};

Url parse_url(std::string_view url) {
  if (!url.starts_with("http://")) die("only http:// URLs are supported: " + std::string(url));
  url.remove_prefix(7);
  auto slash = url.find('/');
  Url parsed;
  parsed.authority = url.substr(0, slash);
  parsed.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  parsed.endpoint = split_host_port(parsed.authority);
  return parsed;
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A blocking connect is fine on loopback; the socket turns non-blocking afterwards.
int connect_to(const Endpoint& endpoint) {
  int fd = socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.address_length) != 0) {
    int error = errno;
    close(fd);
    return -error;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // requests are small: send now
  set_nonblocking(fd);
  return fd;
}

// ---- HTTP/1.1 framing (just what a benchmark needs) ----------------------------------

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

struct Head {
  std::size_t length = 0;  // the head's bytes, blank line included
  int status = 0;          // responses only
  std::size_t content_length = 0;
  bool chunked = false;
  bool close = false;
  std::optional<std::string_view> stamp;
};

enum class Parsed { incomplete, complete, bad };

// Parses the head of a request or response at the start of data.
Parsed parse_head(std::string_view data, bool response, std::string_view stamp_name, Head& head) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return data.size() > 65536 ? Parsed::bad : Parsed::incomplete;
  head = Head{};
  head.length = end + 4;
  std::string_view lines = data.substr(0, end + 2);
  auto first_end = lines.find("\r\n");
  std::string_view first = lines.substr(0, first_end);
  if (response) {
    // "HTTP/1.1 202 Accepted"
    if (!first.starts_with("HTTP/1.") || first.size() < 12) return Parsed::bad;
    auto [rest, ec] = std::from_chars(first.data() + 9, first.data() + 12, head.status);
    if (ec != std::errc{}) return Parsed::bad;
    head.close = first.starts_with("HTTP/1.0");
  }
  for (std::size_t pos = first_end + 2; pos < lines.size();) {
    auto line_end = lines.find("\r\n", pos);
    std::string_view line = lines.substr(pos, line_end - pos);
    pos = line_end + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return Parsed::bad;
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [rest, ec] = std::from_chars(value.data(), value.data() + value.size(), head.content_length);
      if (ec != std::errc{}) return Parsed::bad;
    } else if (iequals(name, "transfer-encoding")) {
      head.chunked = value.find("chunked") != std::string_view::npos;
    } else if (iequals(name, "connection")) {
      head.close = iequals(value, "close");
    } else if (!stamp_name.empty() && iequals(name, stamp_name)) {
      head.stamp = value;
    }
  }
  return Parsed::complete;
}

// The length of a complete chunked body at the start of data.
Parsed chunked_length(std::string_view data, std::size_t& length) {
  std::size_t pos = 0;
  for (;;) {
    auto eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return Parsed::incomplete;
    std::size_t size = 0;
    auto [rest, ec] = std::from_chars(data.data() + pos, data.data() + eol, size, 16);  // stops at ";ext"
    if (ec != std::errc{}) return Parsed::bad;
    pos = eol + 2;
    if (size == 0) {
      for (;;) {  // trailer fields up to an empty line
        eol = data.find("\r\n", pos);
        if (eol == std::string_view::npos) return Parsed::incomplete;
        bool blank = eol == pos;
        pos = eol + 2;
        if (blank) {
          length = pos;
          return Parsed::complete;
        }
      }
    }
    if (data.size() < pos + size + 2) return Parsed::incomplete;
    pos += size + 2;
  }
}

// A whole message (head and body) at the start of data; total is its length.
Parsed parse_message(std::string_view data, bool response, std::string_view stamp_name, Head& head,
                     std::size_t& total) {
  if (auto parsed = parse_head(data, response, stamp_name, head); parsed != Parsed::complete) return parsed;
  bool no_body = response && (head.status / 100 == 1 || head.status == 204 || head.status == 304);
  if (no_body) {
    total = head.length;
  } else if (head.chunked) {
    std::size_t body = 0;
    if (auto parsed = chunked_length(data.substr(head.length), body); parsed != Parsed::complete) return parsed;
    total = head.length + body;
  } else {
    total = head.length + head.content_length;
    if (data.size() < total) return Parsed::incomplete;
  }
  return Parsed::complete;
}

// The request, split around the place where a stamp header goes.
struct RequestTemplate {
  std::string head;  // request line and headers, each line ending in CRLF
  std::string tail;  // the blank line and the body

  std::string plain() const { return head + tail; }
  std::string stamped(std::string_view name, Nanos due) const {
    return head + std::string(name) + ": " + std::to_string(due) + "\r\n" + tail;
  }
};

RequestTemplate make_request(const Options& o, const Url& url) {
  RequestTemplate request;
  request.head = o.method + " " + url.path + " HTTP/1.1\r\nHost: " + url.authority + "\r\n";
  bool has_type = false;
  for (const auto& header : o.headers) {
    request.head += header + "\r\n";
    has_type = has_type || iequals(std::string_view(header).substr(0, header.find(':')), "content-type");
  }
  if (!o.body.empty() || o.method == "POST" || o.method == "PUT") {
    if (!has_type) request.head += "Content-Type: application/json\r\n";
    request.head += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  }
  request.tail = "\r\n" + o.body;
  return request;
}

// ---- results ------------------------------------------------------------------------

std::string status_list(const std::map<int, long>& statuses) {
  std::string out;
  for (auto [status, count] : statuses) out += (out.empty() ? "" : ",") + std::to_string(status) + ":" + std::to_string(count);
  return out.empty() ? "none" : out;
}

// ---- rate: one worker per thread, each with its own connections and timeline ---------

struct Connection {
  int fd = -1;
  std::string in, out;
  std::size_t sent = 0;
  bool busy = false;
  bool measured = false;
  Nanos due = 0;
};

struct RateResults {
  std::vector<Nanos> latencies;  // measured requests: completion - due time
  std::vector<Nanos> lags;       // measured requests: when this program noticed one was due - due time
  std::map<int, long> statuses;  // every answer, warm-up included
  long errors = 0, reconnects = 0, measured = 0, unanswered = 0;
  long in_window = 0;  // answers (to any request) received inside the measured window
  Nanos last_completion = 0;
};

class RateWorker {
 public:
  RateWorker(const Options& options, const Url& url, const RequestTemplate& request, int index, Nanos start)
      : o_(options), url_(url), request_(request), start_(start) {
    // Worker k of T sends requests k, k+T, k+2T, ... of the global timeline.
    interval_ = double(kSecond) * o_.threads / o_.rate;
    offset_ = Nanos(double(kSecond) * index / o_.rate);
    window_start_ = start_ + o_.warmup;
    if (o_.requests > 0) {
      quota_ = o_.requests / o_.threads + (index < o_.requests % o_.threads ? 1 : 0);
    } else {
      window_end_ = window_start_ + o_.duration;
    }
    int count = o_.connections / o_.threads + (index < o_.connections % o_.threads ? 1 : 0);
    connections_.resize(std::max(count, 1));
  }

  void run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      if (!open(i)) die("cannot connect to " + url_.authority + ": " + std::strerror(-connections_[i].fd));
      idle_.push_back(i);
    }
    loop();
    results_.unanswered = long(due_.size()) + busy_count();
    for (auto& c : connections_) {
      if (c.fd >= 0) close(c.fd);
    }
    close(epoll_);
  }

  RateResults& results() { return results_; }

 private:
  Nanos due_time(long i) const { return start_ + offset_ + Nanos(interval_ * double(i)); }
  bool scheduling_done() const {
    return o_.requests > 0 ? next_ >= quota_ : due_time(next_) >= window_end_;
  }
  long busy_count() const {
    return std::count_if(connections_.begin(), connections_.end(), [](const Connection& c) { return c.busy; });
  }

  void loop() {
    epoll_event events[256];
    Nanos drain_deadline = 0;
    for (;;) {
      Nanos now = now_ns();
      // Everything due by now joins the queue, in order; free connections take from it.
      while (!scheduling_done() && due_time(next_) <= now) {
        Nanos due = due_time(next_++);
        due_.push_back(due);
        if (due >= window_start_) results_.lags.push_back(now - due);
      }
      while (!due_.empty() && !idle_.empty()) {
        std::size_t i = idle_.front();
        idle_.pop_front();
        send(i, due_.front());
        due_.pop_front();
      }
      bool finished = scheduling_done() && due_.empty() && busy_count() == 0;
      if (finished || g_stop) return;
      Nanos wait;
      if (!scheduling_done()) {
        wait = due_time(next_) - now;
      } else {
        if (drain_deadline == 0) drain_deadline = now + o_.drain;
        if (now >= drain_deadline) return;  // what is still queued or in flight counts as unanswered
        wait = std::min<Nanos>(drain_deadline - now, 100'000'000);
      }
      timespec timeout{time_t(wait / kSecond), long(wait % kSecond)};
      int n = epoll_pwait2(epoll_, events, 256, &timeout, nullptr);
      if (n < 0 && errno != EINTR) die(std::string("epoll: ") + std::strerror(errno));
      for (int e = 0; e < n; ++e) {
        std::size_t i = events[e].data.u32;
        if (events[e].events & EPOLLOUT) flush(i);
        if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) receive(i);
      }
    }
  }

  bool open(std::size_t i) {
    auto& c = connections_[i];
    c = Connection{};
    c.fd = connect_to(url_.endpoint);
    if (c.fd < 0) return false;
    epoll_event event{EPOLLIN, {.u32 = std::uint32_t(i)}};
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event);
    return true;
  }

  void send(std::size_t i, Nanos due) {
    auto& c = connections_[i];
    c.busy = true;
    c.due = due;
    c.measured = due >= window_start_;
    if (c.measured) ++results_.measured;
    c.out = c.measured && !o_.stamp.empty() ? request_.stamped(o_.stamp, due) : request_.plain();
    c.sent = 0;
    flush(i);
  }

  void flush(std::size_t i) {
    auto& c = connections_[i];
    while (c.sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += std::size_t(n);
      } else if (n < 0 && errno == EAGAIN) {
        epoll_event event{EPOLLIN | EPOLLOUT, {.u32 = std::uint32_t(i)}};
        epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
        return;
      } else {
        fail(i);
        return;
      }
    }
    epoll_event event{EPOLLIN, {.u32 = std::uint32_t(i)}};
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
  }

  void receive(std::size_t i) {
    auto& c = connections_[i];
    char buffer[16384];
    for (;;) {
      ssize_t n = recv(c.fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        c.in.append(buffer, std::size_t(n));
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      fail(i);  // closed or reset
      return;
    }
    Head head;
    std::size_t total = 0;
    switch (parse_message(c.in, true, {}, head, total)) {
      case Parsed::incomplete:
        return;
      case Parsed::bad:
        std::fprintf(stderr, "loadgen: unparsable response: %.200s\n", c.in.c_str());
        fail(i);
        return;
      case Parsed::complete:
        break;
    }
    Nanos done = now_ns();
    if (!c.busy || total != c.in.size()) {  // unasked-for bytes: the connection cannot be trusted
      fail(i);
      return;
    }
    ++results_.statuses[head.status];
    if (done >= window_start_ && (window_end_ == 0 || done < window_end_)) ++results_.in_window;
    if (c.measured) {
      results_.latencies.push_back(done - c.due);
      results_.last_completion = done;
    }
    c.busy = false;
    c.in.clear();
    if (head.close) {
      reopen(i);
    } else {
      idle_.push_back(i);
    }
  }

  // The request in flight is lost (counted); the connection is replaced.
  void fail(std::size_t i) {
    auto& c = connections_[i];
    if (c.busy) ++results_.errors;
    reopen(i);
  }

  void reopen(std::size_t i) {
    auto& c = connections_[i];
    if (c.fd >= 0) close(c.fd);
    idle_.erase(std::remove(idle_.begin(), idle_.end(), i), idle_.end());
    ++results_.reconnects;
    if (open(i)) {
      idle_.push_back(i);
    } else {
      ++results_.errors;
      std::fprintf(stderr, "loadgen: reconnect failed: %s\n", std::strerror(-c.fd));
      c.fd = -1;
      bool any = std::any_of(connections_.begin(), connections_.end(), [](const Connection& k) { return k.fd >= 0; });
      if (!any) die("every connection failed");
    }
  }

  const Options& o_;
  const Url& url_;
  const RequestTemplate& request_;
  Nanos start_, offset_, window_start_, window_end_ = 0;
  double interval_;
  long next_ = 0, quota_ = 0;
  int epoll_ = -1;
  std::vector<Connection> connections_;
  std::deque<std::size_t> idle_;
  std::deque<Nanos> due_;
  RateResults results_;
};

int run_rate(const Options& o) {
  if (o.url.empty() || o.rate <= 0 || (o.duration <= 0 && o.requests <= 0)) {
    die("rate needs URL, --rate and --duration or --requests");
  }
  if (o.requests > 0 && o.warmup > 0) die("--warmup goes with --duration, not --requests");
  Url url = parse_url(o.url);
  RequestTemplate request = make_request(o, url);
  install_stop_handler();
  Nanos start = now_ns() + 50'000'000;  // after every worker has connected
  std::vector<std::unique_ptr<RateWorker>> workers;
  for (int t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<RateWorker>(o, url, request, t, start));
  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&worker] { worker->run(); });
  for (auto& thread : threads) thread.join();

  RateResults all;
  for (auto& worker : workers) {
    auto& r = worker->results();
    all.latencies.insert(all.latencies.end(), r.latencies.begin(), r.latencies.end());
    all.lags.insert(all.lags.end(), r.lags.begin(), r.lags.end());
    for (auto [status, count] : r.statuses) all.statuses[status] += count;
    all.errors += r.errors;
    all.reconnects += r.reconnects;
    all.measured += r.measured;
    all.unanswered += r.unanswered;
    all.in_window += r.in_window;
    all.last_completion = std::max(all.last_completion, r.last_completion);
  }
  long ok = 0, non2xx = 0;
  for (auto [status, count] : all.statuses) (status / 100 == 2 ? ok : non2xx) += count;
  // Answers per second while the schedule ran (a fixed duration), or until the last
  // answer (a fixed number of requests): what the server kept up with.
  Nanos window_start = start + o.warmup;
  double achieved = 0;
  if (o.requests > 0) {
    Nanos window = all.last_completion - window_start;
    achieved = window > 0 ? double(all.latencies.size()) * double(kSecond) / double(window) : 0;
  } else {
    achieved = double(all.in_window) * double(kSecond) / double(o.duration);
  }
  // How late this program itself noticed requests were due: large values mean the
  // generator, not the server, was short of CPU.
  std::string lag = "nan";
  if (!all.lags.empty()) {
    std::sort(all.lags.begin(), all.lags.end());
    lag = ms(all.lags[all.lags.size() * 99 / 100]);
  }
  std::printf("target_rate=%.0f achieved_rate=%.1f measured=%ld answered=%zu ok=%ld non2xx=%ld errors=%ld "
              "unanswered=%ld reconnects=%ld statuses=%s %s gen_lag_p99_ms=%s\n",
              o.rate, achieved, all.measured, all.latencies.size(), ok, non2xx, all.errors, all.unanswered,
              all.reconnects, status_list(all.statuses).c_str(), percentiles(all.latencies).c_str(), lag.c_str());
  bool failed = non2xx > 0 || all.errors > 0 || all.unanswered > 0;
  if (failed && !o.allow_errors) {
    std::fprintf(stderr, "loadgen: %ld non-2xx answers (%s), %ld failed and %ld unanswered requests on %s\n",
                 non2xx, status_list(all.statuses).c_str(), all.errors, all.unanswered, o.url.c_str());
    return 2;
  }
  return 0;
}

// ---- hold: many idle keep-alive connections ------------------------------------------

int run_hold(const Options& o) {
  if (o.url.empty()) die("hold needs URL");
  Url url = parse_url(o.url);
  std::string request = make_request(o, url).plain();
  install_stop_handler();
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::vector<std::string> inputs(std::size_t(o.connections));
  std::vector<int> fds(std::size_t(o.connections), -1);
  std::map<int, long> statuses;
  long answered = 0, closed = 0;
  epoll_event events[256];

  // Answers are read while connecting, so no socket buffer fills up and stalls the server.
  auto poll_once = [&](int timeout_ms) {
    int n = epoll_wait(epoll, events, 256, timeout_ms);
    for (int e = 0; e < n; ++e) {
      std::size_t i = events[e].data.u32;
      char buffer[4096];
      ssize_t got;
      while ((got = recv(fds[i], buffer, sizeof buffer, 0)) > 0) inputs[i].append(buffer, std::size_t(got));
      if (got == 0 || (got < 0 && errno != EAGAIN)) {  // the server let go of it
        ++closed;
        epoll_ctl(epoll, EPOLL_CTL_DEL, fds[i], nullptr);
        close(fds[i]);
        fds[i] = -1;
        continue;
      }
      Head head;
      std::size_t total = 0;
      if (parse_message(inputs[i], true, {}, head, total) == Parsed::complete) {
        ++statuses[head.status];
        ++answered;
        inputs[i].clear();
      }
    }
  };

  for (std::size_t i = 0; i < fds.size() && !g_stop; ++i) {
    fds[i] = connect_to(url.endpoint);
    if (fds[i] < 0) die("connection " + std::to_string(i) + " failed: " + std::strerror(-fds[i]));
    if (::send(fds[i], request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size())) {
      die("cannot send on connection " + std::to_string(i));
    }
    epoll_event event{EPOLLIN, {.u32 = std::uint32_t(i)}};
    epoll_ctl(epoll, EPOLL_CTL_ADD, fds[i], &event);
    if (i % 64 == 63) poll_once(0);
  }
  Nanos deadline = now_ns() + 30 * kSecond;
  while (answered + closed < o.connections && now_ns() < deadline && !g_stop) poll_once(100);
  long ok = 0;
  for (auto [status, count] : statuses) ok += status / 100 == 2 ? count : 0;
  if (ok != o.connections) {
    std::fprintf(stderr, "loadgen: %ld of %d connections answered 2xx (statuses %s, %ld closed)\n", ok,
                 o.connections, status_list(statuses).c_str(), closed);
    return 2;
  }
  std::printf("held=%d\n", o.connections);
  std::fflush(stdout);

  Nanos end = o.duration > 0 ? now_ns() + o.duration : INT64_MAX;
  while (!g_stop && now_ns() < end) poll_once(200);
  std::printf("closed_by_server=%ld\n", closed);
  return closed > 0 && !o.allow_errors ? 2 : 0;
}

// ---- record: the service at the end of a delivery route ----------------------------

int run_record(const Options& o) {
  if (o.listen.empty() || o.stamp.empty()) die("record needs --listen and --stamp");
  Endpoint endpoint = split_host_port(o.listen);
  install_stop_handler();
  int listener = socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener, reinterpret_cast<sockaddr*>(&endpoint.address), endpoint.address_length) != 0 ||
      listen(listener, 1024) != 0) {
    die("cannot listen on " + o.listen + ": " + std::strerror(errno));
  }
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{EPOLLIN, {.fd = listener}};
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  std::map<int, std::string> inputs;
  std::vector<Nanos> latencies;
  long unstamped = 0, bad = 0;
  Nanos started = now_ns(), first = 0, last = 0;
  constexpr std::string_view kAnswer =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";

  auto handle = [&](int fd) {
    auto& in = inputs[fd];
    char buffer[16384];
    ssize_t got;
    while ((got = recv(fd, buffer, sizeof buffer, 0)) > 0) in.append(buffer, std::size_t(got));
    bool gone = got == 0 || (got < 0 && errno != EAGAIN);
    // Answer every complete request (a client may pipeline).
    Head head;
    std::size_t total = 0;
    Parsed parsed;
    while ((parsed = parse_message(in, false, o.stamp, head, total)) == Parsed::complete) {
      Nanos now = now_ns();
      if (head.stamp) {
        Nanos due = 0;
        auto [rest, ec] = std::from_chars(head.stamp->data(), head.stamp->data() + head.stamp->size(), due);
        if (ec == std::errc{}) {
          latencies.push_back(now - due);
          if (first == 0) first = now;
          last = now;
        } else {
          ++bad;
        }
      } else {
        ++unstamped;
      }
      in.erase(0, total);
      if (::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL) != ssize_t(kAnswer.size())) gone = true;
    }
    if (parsed == Parsed::bad) gone = true;
    if (gone) {
      epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
      close(fd);
      inputs.erase(fd);
    }
  };

  epoll_event events[256];
  while (!g_stop) {
    Nanos now = now_ns();
    if (o.expect > 0 && long(latencies.size()) >= o.expect) break;
    if (first != 0 && now - last > o.idle) break;
    if (now - started > o.timeout) break;
    int n = epoll_wait(epoll, events, 256, 100);
    for (int e = 0; e < n; ++e) {
      int fd = events[e].data.fd;
      if (fd != listener) {
        handle(fd);
        continue;
      }
      int client;
      while ((client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_event client_event{EPOLLIN, {.fd = client}};
        epoll_ctl(epoll, EPOLL_CTL_ADD, client, &client_event);
      }
    }
  }
  double rate = last > first ? double(latencies.size() - 1) * double(kSecond) / double(last - first) : 0;
  std::printf("received=%zu unstamped=%ld bad_stamps=%ld arrival_rate=%.1f %s\n", latencies.size(), unstamped, bad,
              rate, percentiles(latencies).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  if (options.mode == "rate") return run_rate(options);
  if (options.mode == "hold") return run_hold(options);
  if (options.mode == "record") return run_record(options);
  die("unknown mode " + options.mode + " (rate, hold or record)");
}
