#pragma once
// A real RabbitMQ broker for the adapter's tests: Debian's rabbitmq-server started on
// loopback, on free ports, in a temp dir of its own (no management plugin, its own epmd,
// a CA and certificates for its TLS listener), one per test binary (rabbit_server()), and
// python3-pika (run with /usr/bin/python3) as an independent client that shows what is
// on the wire. It can be stopped and started again mid-test for outage tests; durable
// queues and persistent messages survive that.
//
// This binary does not link the causeway harness (harness.h), which needs the causeway
// binary built, so it has its own small process runner.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace causeway::testing::rabbit {

using namespace std::chrono_literals;
using Duration = std::chrono::milliseconds;

// Polls `done` until it holds or `timeout` passes; true when it held.
bool eventually(const std::function<bool()>& done, Duration timeout, Duration every = 20ms);

struct CommandResult {
  int exit_code = -1;  // 137 when it was killed for taking longer than its timeout
  std::string output;  // stdout and stderr
};
// Runs a command to completion, with `env` ("NAME=value") added to this process's environment.
CommandResult run_command(const std::vector<std::string>& argv, Duration timeout,
                          const std::vector<std::string>& env = {});

class RabbitServer {
 public:
  RabbitServer();  // started and accepting AMQP (throws with its log when it does not)
  ~RabbitServer();
  RabbitServer(const RabbitServer&) = delete;
  RabbitServer& operator=(const RabbitServer&) = delete;

  // Graceful stop (SIGTERM, as its launcher script handles it), then SIGKILL after 30 s.
  void stop();
  // Again on the same ports and data; returns once it accepts AMQP.
  void start();
  // Again with no data at all: a broker replaced by an empty one.
  void start_empty();
  // SIGSTOP / SIGCONT to the whole broker: it neither reads nor answers meanwhile, like a
  // host that went away without closing its connections. freeze() returns once every
  // thread of it has stopped.
  void freeze();
  void thaw();
  // rabbitmqctl against this node, e.g. {"set_vm_memory_high_watermark", "0"}.
  CommandResult ctl(const std::vector<std::string>& args) const;

  std::uint16_t port() const { return port_; }
  std::uint16_t tls_port() const { return tls_port_; }
  std::string url() const;      // amqp://guest:guest@127.0.0.1:PORT/%2f
  std::string tls_url() const;  // amqps://guest:guest@127.0.0.1:TLS_PORT/%2f
  // PEM files: the CA that signed the server's (CN localhost, IP 127.0.0.1) and the
  // client's certificates, the client's certificate and key, and a CA that signed nothing.
  std::filesystem::path file(const std::string& name) const { return dir_ / name; }
  Duration last_start_time() const { return last_start_; }
  std::string log() const;  // the end of its log

  // Runs `script` under /usr/bin/python3 after `conn` (a pika BlockingConnection to this
  // broker) and `ch` (a channel on it) are set up; json and time are imported.
  CommandResult pika(const std::string& script, Duration timeout = 30s) const;

 private:
  void write_files();
  std::vector<std::string> environment() const;

  std::filesystem::path dir_;
  std::string node_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::uint16_t dist_port_ = 0;
  std::uint16_t epmd_port_ = 0;
  pid_t epmd_pid_ = -1;
  pid_t pid_ = -1;  // the launcher script, leader of the server's process group
  Duration last_start_{0};
};

// The broker of this test binary, started before the first test and stopped after the last.
RabbitServer& rabbit_server();

}  // namespace causeway::testing::rabbit
