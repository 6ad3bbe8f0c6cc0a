#pragma once
// bootstrap: embedded — librdkafka's mock cluster in this process, so Causeway runs
// with nothing else installed. It keeps nothing across restarts.

#include <memory>
#include <string>

namespace causeway::kafka {

class EmbeddedBroker {
 public:
  EmbeddedBroker();  // throws std::runtime_error when the cluster cannot start
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
