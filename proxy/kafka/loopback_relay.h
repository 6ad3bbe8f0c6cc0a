#pragma once
// A fixed port in front of the embedded broker: librdkafka's mock cluster listens on a
// port of its own choosing, so `embedded: { port }` accepts on 127.0.0.1:port and relays
// each connection, byte for byte, to the mock's port. Clients use it to bootstrap; the
// metadata they get then names the mock's own address, which they reach directly.

#include <cstdint>
#include <memory>

namespace causeway::kafka {

class LoopbackRelay {
 public:
  // Throws std::runtime_error naming the port when it cannot listen there.
  LoopbackRelay(std::uint16_t port, std::uint16_t target_port);
  ~LoopbackRelay();  // closes the listener and every relayed connection, and waits for them
  LoopbackRelay(const LoopbackRelay&) = delete;
  LoopbackRelay& operator=(const LoopbackRelay&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::kafka
