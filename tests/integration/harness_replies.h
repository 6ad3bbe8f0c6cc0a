#pragma once
// Request-reply additions to the harness: a config with a request-reply route, the
// echo responder that answers its requests, and a writer for replies the test makes up.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

struct rd_kafka_s;  // librdkafka's handle, kept out of the tests' includes

namespace causeway::testing {

// A config with one request-reply route, "quote": POST /quotes -> quotes.requests,
// answered on quotes.replies. Fields are YAML text put in as they are; empty ones
// are left out so that Causeway's defaults apply.
struct ReplyConfig {
  std::string bootstrap = "embedded";
  std::string broker_options = "{ linger.ms: 1 }";
  std::string reply_partition;  // broker reply_partition: a number or "ordinal"
  std::string wire_headers;     // broker headers: { correlation_id: ..., ... }
  std::string timeout = "3s";   // the route's reply timeout
  std::string route_headers = "[x-echo]";
  std::string route_extra;  // more keys of route "quote", each line indented by four spaces
  std::string replies;  // top-level replies: { max_pending, keep, max_kept }
  std::string drain_timeout;
  std::string extra_routes;  // more "  - name: ..." items for the routes list
  std::string yaml() const;
};

// tests/tools/echo_responder answering the requests on a topic; constructed once it
// reads the topic from its end, so every request produced afterwards is answered.
class EchoResponder {
 public:
  // flags: --status N, --delay-ms N, --twice, --spring
  EchoResponder(const std::string& bootstrap, const std::string& topic, std::vector<std::string> flags = {});
  std::size_t replied() const;  // requests answered so far (a --twice pair counts once)
  bool wait_replied(std::size_t count, Duration timeout) const;
  std::string log() const { return process_.output(); }

 private:
  Subprocess process_;
};

// Produces messages the way any peer would, e.g. replies nobody asked for.
class KafkaWriter {
 public:
  explicit KafkaWriter(const std::string& bootstrap);
  ~KafkaWriter();
  KafkaWriter(const KafkaWriter&) = delete;
  KafkaWriter& operator=(const KafkaWriter&) = delete;

  // Returns once the broker acknowledged the message; throws when it did not within 10 s.
  void write(const std::string& topic, std::int32_t partition, const std::string& value, const Headers& headers = {});

 private:
  rd_kafka_s* handle_ = nullptr;
};

// POST /quotes (ReplyConfig's route) on a new connection.
HttpResponse post_quote(const Address& listener, const std::string& body, const Headers& headers = {},
                        Duration timeout = 15s);

// Posts `count` requests to `path` from `clients` keep-alive connections at once, the
// i-th with body_of(i), to a route an echo responder answers. Returns a line per
// request not answered 200 with its own body: with an echoing peer, cross-talk shows.
std::vector<std::string> post_echoed(const Address& listener, const std::string& path, int count, int clients,
                                     const std::function<std::string(int)>& body_of);

// Clients that keep posting to `path` (ReplyConfig's /quotes by default) over keep-alive
// connections until stopped, each request with the body {"request":"<key>"}, keys unique,
// so an echoed reply names the request it answers.
class ReplyLoad {
 public:
  struct Outcome {
    std::string key{};
    std::string sent_body{};
    int status = 0;  // 0: no answer (the connection closed or timed out)
    std::string body{};
    std::string error{};  // HttpResponse::error() of an answer that is not a 200
  };
  ReplyLoad(Address listener, int clients, std::string path = "/quotes");
  ~ReplyLoad() { stop(); }
  std::size_t count(int status) const;
  std::vector<Outcome> stop();  // waits for the answers in flight

 private:
  void run_client(int client);

  Address listener_;
  std::string path_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<Outcome> outcomes_;
  std::vector<std::thread> threads_;
};

// The correlation id of the request with this body on `topic`, once it is there; empty
// when it did not come within `timeout`. For tests that answer a request themselves.
std::string request_id(const std::string& bootstrap, const std::string& topic, const std::string& body,
                       Duration timeout = 10s);

// A metric's current value; 0 while no series of it exists yet (counters start unseen).
double metric(const Address& admin, const std::string& name, const MetricsPage::Labels& labels = {});
// The metric's value once it reads `expected`, else its value when `timeout` passed: a
// counter may move just after the answer it counts went out.
double metric_reaching(const Address& admin, const std::string& name, double expected,
                       const MetricsPage::Labels& labels = {}, Duration timeout = 2s);

}  // namespace causeway::testing
