#include "kafka/embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdexcept>

#include "kafka/kafka_conf.h"

namespace causeway::kafka {

struct EmbeddedBroker::Impl {
  rd_kafka_t* owner = nullptr;  // the mock cluster needs a client instance to live in
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;
};

EmbeddedBroker::EmbeddedBroker() : impl_(std::make_unique<Impl>()) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  // The owner never connects anywhere: silence its "no bootstrap.servers" warning.
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_conf_set(conf, "client.id", "causeway-embedded-broker", error, sizeof error);
  forward_logs(conf);
  impl_->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!impl_->owner) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("embedded broker: ") + error);
  }
  impl_->cluster = rd_kafka_mock_cluster_new(impl_->owner, 1);
  if (!impl_->cluster) {
    rd_kafka_destroy(impl_->owner);
    throw std::runtime_error("embedded broker: librdkafka could not start its mock cluster");
  }
  impl_->bootstrap = rd_kafka_mock_cluster_bootstraps(impl_->cluster);
}

EmbeddedBroker::~EmbeddedBroker() {
  rd_kafka_mock_cluster_destroy(impl_->cluster);
  rd_kafka_destroy(impl_->owner);
}

const std::string& EmbeddedBroker::bootstrap() const { return impl_->bootstrap; }

}  // namespace causeway::kafka
