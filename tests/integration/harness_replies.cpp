// Request-reply for the integration tests: the route's config, the echo responder, a
// raw writer for made-up replies, and clients that check every answer is their own.
#include "harness_replies.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace causeway::testing {

namespace {

// "key: value" on its own line at `indent`, or nothing for an empty value.
std::string optional_line(const std::string& indent, const std::string& key, const std::string& value) {
  return value.empty() ? std::string() : indent + key + ": " + value + "\n";
}

}  // namespace

std::string ReplyConfig::yaml() const {
  std::ostringstream text;
  text << "admin: { listen: 127.0.0.1:0 }\n"
       << optional_line("", "drain_timeout", drain_timeout) << optional_line("", "replies", replies)
       << "listeners:\n"
       << "  public: { protocol: http, listen: 127.0.0.1:0 }\n"
       << "brokers:\n"
       << "  events:\n"
       << "    bootstrap: " << bootstrap << "\n"
       << "    options: " << broker_options << "\n"
       << optional_line("    ", "reply_partition", reply_partition) << optional_line("    ", "headers", wire_headers)
       << "routes:\n"
       << "  - name: quote\n"
       << "    from: { listener: public, method: POST, path: /quotes }\n"
       << "    to: { broker: events, topic: quotes.requests, reply: quotes.replies, timeout: " << timeout << " }\n"
       << optional_line("    ", "headers", route_headers) << route_extra << extra_routes;
  return text.str();
}

EchoResponder::EchoResponder(const std::string& bootstrap, const std::string& topic, std::vector<std::string> flags)
    : process_([&] {
        std::vector<std::string> argv{ECHO_RESPONDER_BIN, bootstrap, topic};
        argv.insert(argv.end(), flags.begin(), flags.end());
        return argv;
      }()) {
  if (!process_.wait_for_line(std::regex("^ready$"), 20s)) {
    throw std::runtime_error("echo_responder did not become ready:\n" + process_.output());
  }
}

std::size_t EchoResponder::replied() const {
  std::istringstream lines(process_.output());
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) count += line.starts_with("replied ") ? 1 : 0;
  return count;
}

bool EchoResponder::wait_replied(std::size_t count, Duration timeout) const {
  return eventually([&] { return replied() >= count; }, timeout);
}

namespace {

// Each write waits for its own delivery report, handed back through the message's opaque.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  *static_cast<rd_kafka_resp_err_t*>(message->_private) = message->err;
}

}  // namespace

KafkaWriter::KafkaWriter(const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (auto [name, value] : {std::pair{"bootstrap.servers", bootstrap.c_str()}, {"linger.ms", "0"}, {"log_level", "3"}}) {
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("KafkaWriter: ") + error);
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!handle_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("KafkaWriter: ") + error);
  }
}

KafkaWriter::~KafkaWriter() {
  rd_kafka_flush(handle_, 5000);
  rd_kafka_destroy(handle_);
}

void KafkaWriter::write(const std::string& topic, std::int32_t partition, const std::string& value,
                        const Headers& headers) {
  rd_kafka_headers_t* list = rd_kafka_headers_new(headers.size());
  for (const auto& [name, text] : headers) {
    rd_kafka_header_add(list, name.data(), static_cast<ssize_t>(name.size()), text.data(),
                        static_cast<ssize_t>(text.size()));
  }
  rd_kafka_resp_err_t delivered = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  auto error = rd_kafka_producev(handle_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(list),
                                 RD_KAFKA_V_OPAQUE(&delivered), RD_KAFKA_V_END);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(list);  // producev owns them only on success
    throw std::runtime_error("KafkaWriter: cannot produce to " + topic + ": " + rd_kafka_err2str(error));
  }
  if (rd_kafka_flush(handle_, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Its report must come while `delivered` still exists: purged messages report at once.
    rd_kafka_purge(handle_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(handle_, 1000);
  }
  if (delivered != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("KafkaWriter: " + topic + " [" + std::to_string(partition) +
                             "] not acknowledged: " + rd_kafka_err2str(delivered));
  }
}

HttpResponse post_quote(const Address& listener, const std::string& body, const Headers& headers, Duration timeout) {
  return http(listener, "POST", "/quotes", headers, body, timeout);
}

std::vector<std::string> post_echoed(const Address& listener, const std::string& path, int count, int clients,
                                     const std::function<std::string(int)>& body_of) {
  std::mutex mutex;
  std::vector<std::string> wrong;
  auto client = [&](int first) {
    auto connection = HttpConnection::try_connect(listener);
    if (!connection) {
      std::lock_guard lock(mutex);
      wrong.push_back("client " + std::to_string(first) + " could not connect");
      return;
    }
    for (int i = first; i < count; i += clients) {
      auto body = body_of(i);
      auto response = connection->send(HttpRequest{.method = "POST", .path = path, .body = body})
                          ? connection->read_response(20s)
                          : std::nullopt;
      if (response && response->status == 200 && response->body == body) continue;
      std::lock_guard lock(mutex);
      wrong.push_back(body + " -> " +
                      (response ? std::to_string(response->status) + " " + response->body : "no response"));
      if (!response) return;  // the connection is unusable now
    }
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(client, c);
  for (auto& thread : threads) thread.join();
  return wrong;
}

ReplyLoad::ReplyLoad(Address listener, int clients, std::string path)
    : listener_(std::move(listener)), path_(std::move(path)) {
  for (int client = 0; client < clients; ++client) threads_.emplace_back([this, client] { run_client(client); });
}

void ReplyLoad::run_client(int client) {
  std::optional<HttpConnection> connection;
  for (int i = 0; !stopping_.load(); ++i) {
    Outcome outcome{.key = "r" + std::to_string(client) + "-" + std::to_string(i)};
    outcome.sent_body = R"({"request":")" + outcome.key + "\"}";
    if (!connection) connection = HttpConnection::try_connect(listener_, 2s);
    std::optional<HttpResponse> response;
    if (connection && connection->send(HttpRequest{.method = "POST", .path = path_, .body = outcome.sent_body})) {
      response = connection->read_response(20s);
    }
    if (response) {
      outcome.status = response->status;
      outcome.body = response->body;
      if (response->status != 200) outcome.error = response->error();
      if (response->header("connection").value_or("") == "close") connection.reset();
    } else {
      connection.reset();
    }
    std::lock_guard lock(mutex_);
    outcomes_.push_back(std::move(outcome));
  }
}

std::size_t ReplyLoad::count(int status) const {
  std::lock_guard lock(mutex_);
  return std::count_if(outcomes_.begin(), outcomes_.end(), [&](const auto& o) { return o.status == status; });
}

std::vector<ReplyLoad::Outcome> ReplyLoad::stop() {
  stopping_.store(true);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  std::lock_guard lock(mutex_);
  return outcomes_;
}

std::string request_id(const std::string& bootstrap, const std::string& topic, const std::string& body,
                       Duration timeout) {
  std::string id;
  eventually(
      [&] {
        for (const auto& message : TopicReader(bootstrap, topic).read(1, 2s)) {
          if (message.value == body) id = message.header("correlation-id").value_or("");
        }
        return !id.empty();
      },
      timeout, 50ms);
  return id;
}

double metric(const Address& admin, const std::string& name, const MetricsPage::Labels& labels) {
  return scrape_metrics(admin).value(name, labels).value_or(0);
}

double metric_reaching(const Address& admin, const std::string& name, double expected,
                       const MetricsPage::Labels& labels, Duration timeout) {
  double value = 0;
  eventually([&] { return (value = metric(admin, name, labels)) == expected; }, timeout);
  return value;
}

}  // namespace causeway::testing
