#pragma once
// bootstrap: embedded — librdkafka's mock cluster in this process, so Causeway runs
// with nothing else installed. It keeps nothing across restarts.

#include <cstdint>
#include <memory>
#include <string>

namespace causeway::kafka {

class EmbeddedBroker {
 public:
  // On `port` of 127.0.0.1 when not 0 (a relay to the mock's own port), else on the
  // port the mock picks. Throws std::runtime_error when it cannot start or listen.
  explicit EmbeddedBroker(std::uint16_t port = 0);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:PORT": give it to kcat -b, or to another Causeway's bootstrap.
  const std::string& bootstrap() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::kafka
