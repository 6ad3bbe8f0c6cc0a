#pragma once
// What the integration tests drive: the real causeway binary and a mock Kafka
// cluster as child processes, raw HTTP over POSIX sockets, and a librdkafka reader
// that shows what actually landed on a topic.

#include <sys/types.h>

#include <atomic>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace causeway::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Polls `done` until it holds or `timeout` passes; true when it held.
bool eventually(const std::function<bool()>& done, Duration timeout, Duration every = 20ms);

struct Address {
  std::string host;
  std::uint16_t port = 0;
  static Address parse(const std::string& text);  // "127.0.0.1:8080"
  std::string text() const;
};

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

// A child process whose stdout and stderr are read, line by line, on a thread of
// their own; its stdin is a pipe the test can write to. The child is killed by the
// destructor, and if the thread that started it dies first (so start children from
// the test's own thread, not from a worker that ends early).
class Subprocess {
 public:
  explicit Subprocess(std::vector<std::string> argv);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  void write_line(const std::string& line);
  // The first line at index >= `from` that matches, as its match groups ([0] is the
  // whole match); nullopt on timeout or when the output ended without one.
  std::optional<std::vector<std::string>> wait_for_line(const std::regex& pattern, Duration timeout,
                                                        std::size_t from = 0);
  bool wait_output_end(Duration timeout);
  std::size_t line_count() const;
  std::string output() const;

  void signal(int number);
  // The exit code, or 128 + the signal number when a signal ended it (as shells say).
  std::optional<int> wait_exit(Duration timeout);
  void kill9();
  bool running();

 private:
  void read_output(int fd);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool output_ended_ = false;
  std::thread reader_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};
// Runs a command to completion (killed after `timeout`, then exit_code is 137).
CommandResult run_command(std::vector<std::string> argv, Duration timeout = 20s);

// The config most tests start from: listener "public" and the admin on port 0, broker
// "events", route "order-created" (POST /orders/{customer}/events -> orders.created,
// key {customer}, x-tenant copied). Fields are YAML text put in as they are.
struct TestConfig {
  std::string bootstrap = "embedded";
  std::string broker_options = "{ linger.ms: 1 }";
  std::string limits = "{}";
  std::string drain_timeout = "15s";
  std::string extra_routes;  // more "  - name: ..." items for the routes list
  std::string yaml() const;
};

// The causeway binary running on a config of the test's; constructed once "ready"
// is logged (throws with the log if it exits or takes longer than 20 s).
class CausewayProcess {
 public:
  explicit CausewayProcess(const std::string& yaml, std::vector<std::string> extra_args = {});
  explicit CausewayProcess(const TestConfig& config = {}) : CausewayProcess(config.yaml()) {}

  Address listener(const std::string& name = "public") const;
  Address admin() const { return admin_; }
  std::string broker(const std::string& name = "events") const;  // embedded broker's bootstrap
  const std::filesystem::path& config_file() const { return config_file_; }

  void signal(int number) { process_->signal(number); }
  std::optional<int> wait_exit(Duration timeout) { return process_->wait_exit(timeout); }
  void kill9() { process_->kill9(); }
  std::string log() const { return process_->output(); }
  pid_t pid() const { return process_->pid(); }
  bool wait_for_log(const std::string& pattern, Duration timeout);

 private:
  TempDir dir_;
  std::filesystem::path config_file_;
  std::unique_ptr<Subprocess> process_;
  std::map<std::string, Address> listeners_;
  std::map<std::string, std::string> brokers_;
  Address admin_;
};

// tests/tools/mock_broker: a Kafka cluster in its own process that can be taken down.
class MockBroker {
 public:
  MockBroker();
  const std::string& bootstrap() const { return bootstrap_; }
  void down() { command("down"); }
  void up() { command("up"); }
  void rtt(int milliseconds) { command("rtt " + std::to_string(milliseconds)); }
  void create_topic(const std::string& name, int partitions) {
    command("topic " + name + " " + std::to_string(partitions));
  }
  // The next `count` requests of `api` ("produce", "fetch" or "offset_commit"), from any client, fail
  // with `codes` in turn (names as rd_kafka_err2name gives them).
  void request_errors(const std::string& api, int count, const std::vector<std::string>& codes) {
    std::string line = "errors " + api + " " + std::to_string(count);
    for (const auto& code : codes) line += " " + code;
    command(line);
  }
  void clear_request_errors(const std::string& api) { command("errors " + api + " clear"); }
  void produce_errors(int count, const std::vector<std::string>& codes) { request_errors("produce", count, codes); }
  std::string log() const { return process_.output(); }

 private:
  void command(const std::string& line);  // throws unless answered "ok"

  Subprocess process_;
  std::string bootstrap_;
};

struct HttpResponse {
  int status = 0;
  std::string version;  // "HTTP/1.1"
  Headers headers;      // names lower-case, in the order received
  std::string body;

  std::optional<std::string> header(const std::string& name) const;
  boost::json::value json() const;  // throws when the body is not JSON
  // The "error" code of a JSON error body; a description of the body when it has none.
  std::string error() const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string path = "/";
  Headers headers{};  // Host and Content-Length are added unless given
  std::string body{};
  bool keep_alive = true;
  std::string text() const;
};

// One client connection on which anything, well-formed or not, can be sent.
class HttpConnection {
 public:
  explicit HttpConnection(const Address& address, Duration timeout = 5s);  // throws when it cannot connect
  static std::optional<HttpConnection> try_connect(const Address& address, Duration timeout = 5s);
  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&& other) noexcept;
  ~HttpConnection();

  bool send(std::string_view bytes);  // false when the peer is gone
  bool send(const HttpRequest& request) { return send(request.text()); }
  // The next response, interim ones (100 Continue) included; nullopt when the peer
  // closed or nothing complete arrived in time.
  std::optional<HttpResponse> read_response(Duration timeout = 10s);
  // True once the peer closed (FIN or RST) within the timeout; bytes arriving meanwhile are kept.
  bool closed_by_peer(Duration timeout);

 private:
  HttpConnection() = default;
  enum class Fill { data, closed, timeout };
  Fill fill(Clock::time_point deadline);
  bool fill_until(Clock::time_point deadline, const std::function<bool()>& enough);

  int fd_ = -1;
  std::string buffer_;  // received, not yet consumed
};

// One request on a new connection; throws when no response arrives in time.
HttpResponse http(const Address& address, const std::string& method, const std::string& path,
                  const Headers& headers = {}, const std::string& body = {}, Duration timeout = 10s);

// A Prometheus text page, parsed.
class MetricsPage {
 public:
  using Labels = std::map<std::string, std::string>;
  explicit MetricsPage(const std::string& text);
  // The sum of the series named `name` whose labels include `labels`; nullopt when none does.
  std::optional<double> value(const std::string& name, const Labels& labels = {}) const;
  const std::string& text() const { return text_; }

 private:
  struct Sample {
    std::string name;
    Labels labels;
    double value = 0;
  };
  std::string text_;
  std::vector<Sample> samples_;
};
MetricsPage scrape_metrics(const Address& admin);

// Clients that keep posting events (POST /orders/<key>/events, keys unique, the body
// {"request":"<key>"}) over keep-alive connections until stopped, or until their
// listener refuses connections.
class EventLoad {
 public:
  struct Outcome {
    std::string key{};  // also the body's "request", so a reader can tell which request a message is
    int status = 0;     // 0: no answer (the connection closed or timed out)
    std::string id{};   // from a 202
    std::int64_t partition = -1;  // from a Kafka 202
    std::int64_t offset = -1;
    std::string error{};  // HttpResponse::error() of an answer that is not a 202
    Clock::time_point sent{};
    Clock::time_point answered{};
  };
  EventLoad(Address listener, int clients);
  ~EventLoad() { stop(); }
  std::size_t count(int status) const;
  bool refused() const { return refused_clients_.load() > 0; }  // some client found the listener gone
  std::vector<Outcome> stop();                                  // waits for the answers in flight

 private:
  void run_client(int client);

  Address listener_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> refused_clients_{0};
  mutable std::mutex mutex_;
  std::vector<Outcome> outcomes_;
  std::vector<std::thread> threads_;
};

struct KafkaMessage {
  std::optional<std::string> key;
  std::string value;
  Headers headers;
  std::int32_t partition = -1;
  std::int64_t offset = -1;

  std::optional<std::string> header(const std::string& name) const;
  std::size_t header_count(const std::string& name) const;
};

// Reads a topic without a consumer group: every partition from its beginning.
class TopicReader {
 public:
  TopicReader(std::string bootstrap, std::string topic);
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // Everything on the topic, from its beginning, once at least `count` messages were
  // read and every partition's end was reached (so extras show too); what was read
  // so far when `timeout` passes first.
  std::vector<KafkaMessage> read(std::size_t count, Duration timeout = 15s);

 private:
  std::vector<std::int32_t> partitions(Clock::time_point deadline);

  std::string topic_;
  struct Handles;
  std::unique_ptr<Handles> handles_;
};

}  // namespace causeway::testing
