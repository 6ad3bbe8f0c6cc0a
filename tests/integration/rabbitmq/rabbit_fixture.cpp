#include "rabbit_fixture.h"

#include <atomic>
#include <sstream>

#include "config/config_loader.h"
#include "rabbitmq/rabbit_adapter.h"

namespace causeway::bridge {

void PrintTo(DeliveryReport::Outcome outcome, std::ostream* out) {
  using Outcome = DeliveryReport::Outcome;
  switch (outcome) {
    case Outcome::stored: *out << "stored"; return;
    case Outcome::not_stored: *out << "not_stored"; return;
    case Outcome::maybe_stored: *out << "maybe_stored"; return;
    case Outcome::queue_full: *out << "queue_full"; return;
    case Outcome::too_large: *out << "too_large"; return;
    case Outcome::rejected: *out << "rejected"; return;
    case Outcome::unroutable: *out << "unroutable"; return;
  }
  *out << static_cast<int>(outcome);
}

}  // namespace causeway::bridge

namespace causeway::testing::rabbit {

std::shared_ptr<bridge::BrokerClient> make_client(metrics::Registry& registry, const std::string& options,
                                                  const std::string& url, const std::string& tls) {
  static const bool registered = [] {
    rabbitmq::register_rabbitmq();
    return true;
  }();
  (void)registered;
  std::string yaml = "brokers:\n  rabbit:\n    type: rabbitmq\n    url: \"" +
                     (url.empty() ? rabbit_server().url() : url) + "\"\n    options: " + options + "\n";
  if (!tls.empty()) yaml += "    tls: " + tls + "\n";
  const config::Config config = config::parse_config(yaml, "test.yaml");
  const bridge::BrokerFactory* factory = bridge::find_broker_factory("rabbitmq");
  if (!factory) throw std::runtime_error("no rabbitmq factory");
  return (*factory)(config.brokers.at(0), bridge::BrokerContext{registry});
}

config::Route delivery_route(const std::string& queue, std::vector<config::TopicSource::Binding> bind,
                             std::optional<std::string> key_header) {
  config::Route route;
  route.name = "deliver-" + queue;
  route.mode = config::Mode::delivery;
  config::TopicSource from;
  from.broker = "rabbit";
  from.topic = queue;
  from.bind = std::move(bind);
  from.key_header = std::move(key_header);
  route.from = from;
  route.to = config::UpstreamTarget{};
  return route;
}

std::string unique_name(const std::string& what) {
  static std::atomic<int> counter{0};
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(test ? test->name() : "test") + "-" + what + "-" + std::to_string(++counter);
}

double metric(const metrics::Registry& registry, const std::string& sample) {
  std::istringstream lines(registry.render());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(sample + " ")) return std::stod(line.substr(sample.size() + 1));
  }
  return 0;
}

bridge::MessageProducer::OnDelivery Reports::expect(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    answers_.try_emplace(id, 0);
  }
  return [this, id](const bridge::DeliveryReport& report) {
    std::lock_guard lock(mutex_);
    ++answers_[id];
    reports_[id] = report;
    changed_.notify_all();
  };
}

bool Reports::wait_all(Duration timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] {
    for (const auto& [id, count] : answers_) {
      if (count == 0) return false;
    }
    return true;
  });
}

Outcome Reports::outcome(const std::string& id) {
  std::lock_guard lock(mutex_);
  return reports_.at(id).outcome;
}

std::string Reports::error(const std::string& id) {
  std::lock_guard lock(mutex_);
  return reports_.at(id).error;
}

std::map<std::string, Outcome> Reports::outcomes() {
  std::lock_guard lock(mutex_);
  std::map<std::string, Outcome> out;
  for (const auto& [id, report] : reports_) out[id] = report.outcome;
  return out;
}

int Reports::answers(const std::string& id) {
  std::lock_guard lock(mutex_);
  return answers_[id];
}

bridge::DeliveryReport publish(bridge::MessageProducer& producer, bridge::OutboundMessage message, Duration timeout) {
  auto done = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
  auto report = std::make_shared<std::optional<bridge::DeliveryReport>>();
  producer.produce(std::move(message), [done, report](const bridge::DeliveryReport& delivered) {
    std::lock_guard lock(done->first);
    *report = delivered;
    done->second.notify_all();
  });
  std::unique_lock lock(done->first);
  if (!done->second.wait_for(lock, timeout, [&] { return report->has_value(); })) {
    throw std::runtime_error("no delivery report");
  }
  return **report;
}

void RecordingSink::lane_opened(const std::string& lane) {
  std::lock_guard lock(mutex_);
  ++opened_[lane];
  changed_.notify_all();
}

void RecordingSink::lane_closed(const std::string& lane, std::chrono::milliseconds) {
  std::lock_guard lock(mutex_);
  ++closed_[lane];
  changed_.notify_all();
}

void RecordingSink::deliver(bridge::SourcedMessage message) {
  std::lock_guard lock(mutex_);
  messages_.push_back(std::move(message));
  changed_.notify_all();
}

bool RecordingSink::wait_deliveries(std::size_t count, Duration timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
}

std::size_t RecordingSink::deliveries() {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

bridge::SourcedMessage RecordingSink::take(std::size_t index) {
  std::lock_guard lock(mutex_);
  bridge::SourcedMessage& kept = messages_.at(index);
  bridge::SourcedMessage out;
  out.message = kept.message;
  out.lane = kept.lane;
  out.redelivered = kept.redelivered;
  out.ack = std::move(kept.ack);
  return out;
}

int RecordingSink::opened(const std::string& lane) {
  std::lock_guard lock(mutex_);
  return opened_[lane];
}

int RecordingSink::closed(const std::string& lane) {
  std::lock_guard lock(mutex_);
  return closed_[lane];
}

bridge::BrokerClient::OnReply ReplyLog::callback() {
  return [this](bridge::InboundMessage reply) {
    std::lock_guard lock(mutex_);
    replies_.push_back(std::move(reply));
    changed_.notify_all();
    return matched_;
  };
}

bool ReplyLog::wait(std::size_t count, Duration timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return replies_.size() >= count; });
}

bridge::InboundMessage ReplyLog::at(std::size_t index) {
  std::lock_guard lock(mutex_);
  return replies_.at(index);
}

std::thread responder(const std::string& queue, CommandResult& result) {
  return std::thread([queue, &result] {
    result = rabbit_server().pika(
        "for _ in range(400):\n"
        "    method, props, body = ch.basic_get('" +
        queue +
        "', auto_ack=True)\n"
        "    if method: break\n"
        "    time.sleep(0.05)\n"
        "ch.basic_publish('', props.reply_to, b'pong:' + body,\n"
        "    pika.BasicProperties(correlation_id=props.correlation_id, content_type='text/plain',\n"
        "                         headers={'status': 201, 'traceparent': (props.headers or {}).get('traceparent')}))\n"
        "print(json.dumps({'reply_to': props.reply_to, 'correlation_id': props.correlation_id}))\n");
  });
}

const std::string* header(const bridge::Headers& headers, const std::string& name) {
  return bridge::find_header(headers, name);
}

boost::json::value pika_json(const std::string& script) {
  const CommandResult result = rabbit_server().pika(script);
  if (result.exit_code != 0) throw std::runtime_error("pika failed: " + result.output);
  std::string last;
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  return boost::json::parse(last);
}

QueueState queue_state(const std::string& queue) {
  const boost::json::value state = pika_json("q = ch.queue_declare('" + queue +
                                             "', passive=True).method\n"
                                             "print(json.dumps([q.message_count, q.consumer_count]))\n");
  return QueueState{state.at(0).as_int64(), state.at(1).as_int64()};
}

std::vector<std::string> drain(const std::string& queue) {
  const boost::json::value bodies = pika_json(
      "bodies = []\n"
      "while True:\n"
      "    method, props, body = ch.basic_get('" +
      queue +
      "', auto_ack=True)\n"
      "    if method is None: break\n"
      "    bodies.append(body.decode())\n"
      "print(json.dumps(bodies))\n");
  std::vector<std::string> out;
  for (const auto& body : bodies.as_array()) out.emplace_back(body.as_string());
  return out;
}

}  // namespace causeway::testing::rabbit
