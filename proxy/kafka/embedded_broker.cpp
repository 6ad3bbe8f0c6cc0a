#include "kafka/embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

#include "kafka/kafka_conf.h"
#include "kafka/loopback_relay.h"

// librdkafka's mock broker accepts its clients' connections with accept() and never sets
// TCP_NODELAY on them, so with more than one produce in flight its acks wait for the
// client's delayed ACK: p99 of 36-45 ms on an event route below linger.ms 1 (bench/NOTES.md).
// Defined here, in the executable, accept() takes the place of libc's for librdkafka too;
// every socket accepted in the process gets TCP_NODELAY, which the listeners set anyway.
extern "C" int accept(int listener, sockaddr* address, socklen_t* length) {
  const int socket = ::accept4(listener, address, length, 0);
  if (socket >= 0) {
    const int saved = errno;
    const int one = 1;
    ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on a Unix socket
    errno = saved;
  }
  return socket;
}

namespace causeway::kafka {

struct EmbeddedBroker::Impl {
  rd_kafka_t* owner = nullptr;  // the mock cluster needs a client instance to live in
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;
  std::unique_ptr<LoopbackRelay> relay;  // with a fixed port
};

EmbeddedBroker::EmbeddedBroker(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
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
  if (port == 0) return;
  // One broker: its bootstraps are "127.0.0.1:PORT".
  const auto mock_port = static_cast<std::uint16_t>(std::stoi(impl_->bootstrap.substr(impl_->bootstrap.rfind(':') + 1)));
  try {
    impl_->relay = std::make_unique<LoopbackRelay>(port, mock_port);
  } catch (...) {
    rd_kafka_mock_cluster_destroy(impl_->cluster);
    rd_kafka_destroy(impl_->owner);
    throw;
  }
  impl_->bootstrap = "127.0.0.1:" + std::to_string(port);
}

EmbeddedBroker::~EmbeddedBroker() {
  impl_->relay.reset();
  rd_kafka_mock_cluster_destroy(impl_->cluster);
  rd_kafka_destroy(impl_->owner);
}

const std::string& EmbeddedBroker::bootstrap() const { return impl_->bootstrap; }

}  // namespace causeway::kafka
