#include "kafka/kafka_producer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "kafka/kafka_conf.h"

namespace causeway::kafka {

using bridge::DeliveryReport;
using Outcome = bridge::DeliveryReport::Outcome;

namespace {

// Owns the message bytes librdkafka points at (produced without copying) until the
// delivery report, which deletes it.
struct InFlight {
  bridge::OutboundMessage message;
  bridge::MessageProducer::OnDelivery on_delivery;
};

Outcome outcome_of(rd_kafka_resp_err_t error, rd_kafka_msg_status_t status) {
  switch (error) {
    case RD_KAFKA_RESP_ERR_NO_ERROR: return Outcome::stored;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL: return Outcome::queue_full;
    // Refused locally (over message.max.bytes) or by the broker: 413, as the README promises.
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      if (status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED) return Outcome::too_large;
      break;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
      if (status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED) return Outcome::rejected;
      break;
    default: break;
  }
  return status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED ? Outcome::not_stored : Outcome::maybe_stored;
}

void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* report, void*) {
  std::unique_ptr<InFlight> in_flight(static_cast<InFlight*>(report->_private));
  DeliveryReport delivery;
  delivery.outcome = outcome_of(report->err, rd_kafka_message_status(report));
  if (delivery.outcome == Outcome::stored) {
    delivery.partition = report->partition;
    delivery.offset = report->offset;
  } else {
    delivery.error = rd_kafka_err2str(report->err);
  }
  in_flight->on_delivery(delivery);
}

void on_error(rd_kafka_t* handle, int error, const char* reason, void*) {
  if (error == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_fatal_error(handle, fatal, sizeof fatal);
    spdlog::critical("kafka {}: fatal producer error, every produce will fail until restart: {}",
                     rd_kafka_name(handle), fatal);
    return;
  }
  spdlog::warn("kafka {}: {}", rd_kafka_name(handle), reason);
}

}  // namespace

struct KafkaProducer::Impl {
  std::string name;
  rd_kafka_t* handle = nullptr;
  std::atomic<bool> polling{true};
  std::thread poller;

  void stop_polling() {
    polling.store(false);
    if (poller.joinable()) poller.join();
  }
};

KafkaProducer::KafkaProducer(std::string name, std::string bootstrap, const std::vector<config::BrokerOption>& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  rd_kafka_conf_t* conf = producer_conf(impl_->name, bootstrap, options);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery_report);
  rd_kafka_conf_set_error_cb(conf, on_error);
  char error[512];
  impl_->handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!impl_->handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error("broker '" + impl_->name + "': cannot create the Kafka producer: " + error);
  }
  // rd_kafka_poll wakes as soon as a report is queued, so this adds no latency.
  impl_->poller = std::thread([impl = impl_.get()] {
    while (impl->polling.load(std::memory_order_relaxed)) rd_kafka_poll(impl->handle, 100);
  });
}

KafkaProducer::~KafkaProducer() {
  impl_->stop_polling();
  // Whatever is left gets its report now (purged: not stored, or maybe stored if in
  // flight), so no caller waits on a producer that is gone.
  rd_kafka_purge(impl_->handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(impl_->handle, 0);
  rd_kafka_flush(impl_->handle, 1000);
  rd_kafka_destroy(impl_->handle);
}

void KafkaProducer::produce(bridge::OutboundMessage message, OnDelivery on_delivery) {
  auto in_flight = std::make_unique<InFlight>(InFlight{std::move(message), std::move(on_delivery)});
  auto& m = in_flight->message;

  rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
  for (const auto& header : m.headers) {
    rd_kafka_header_add(headers, header.name.data(), static_cast<ssize_t>(header.name.size()), header.value.data(),
                        static_cast<ssize_t>(header.value.size()));
  }
  std::vector<rd_kafka_vu_t> args;
  args.reserve(6);
  rd_kafka_vu_t arg{};
  arg.vtype = RD_KAFKA_VTYPE_TOPIC;
  arg.u.cstr = m.topic.c_str();
  args.push_back(arg);
  arg.vtype = RD_KAFKA_VTYPE_VALUE;
  arg.u.mem = {m.value.data(), m.value.size()};
  args.push_back(arg);
  if (m.partition) {
    arg.vtype = RD_KAFKA_VTYPE_PARTITION;
    arg.u.i32 = *m.partition;
    args.push_back(arg);
  }
  if (m.key) {
    arg.vtype = RD_KAFKA_VTYPE_KEY;
    arg.u.mem = {m.key->data(), m.key->size()};
    args.push_back(arg);
  }
  arg.vtype = RD_KAFKA_VTYPE_HEADERS;
  arg.u.headers = headers;
  args.push_back(arg);
  arg.vtype = RD_KAFKA_VTYPE_OPAQUE;
  arg.u.ptr = in_flight.get();
  args.push_back(arg);

  rd_kafka_error_t* error = rd_kafka_produceva(impl_->handle, args.data(), args.size());
  if (!error) {
    in_flight.release();  // the delivery report owns it now
    return;
  }
  // Refused before queueing: headers and bytes are still ours.
  DeliveryReport refused;
  refused.outcome = outcome_of(rd_kafka_error_code(error), RD_KAFKA_MSG_STATUS_NOT_PERSISTED);
  refused.error = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  rd_kafka_headers_destroy(headers);
  in_flight->on_delivery(refused);
}

bool KafkaProducer::reachable(std::chrono::milliseconds timeout) {
  if (rd_kafka_fatal_error(impl_->handle, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  const rd_kafka_metadata_t* metadata = nullptr;
  auto error = rd_kafka_metadata(impl_->handle, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (metadata) rd_kafka_metadata_destroy(metadata);
  return error == RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::size_t KafkaProducer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(impl_->handle, static_cast<int>(timeout.count()));
  return static_cast<std::size_t>(rd_kafka_outq_len(impl_->handle));
}

const std::string& KafkaProducer::name() const { return impl_->name; }

std::optional<std::string> KafkaProducer::invalid_destination(std::string_view topic) const {
  if (valid_topic_name(topic)) return std::nullopt;
  return "Kafka does not allow it as a topic name";
}

// Kafka's rule: 1..249 characters of [A-Za-z0-9._-], and not "." or "..".
bool valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") return false;
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace causeway::kafka
