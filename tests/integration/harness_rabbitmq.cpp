#include "harness_rabbitmq.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace causeway::testing::rabbit {
namespace {

using Clock = std::chrono::steady_clock;

// This process's environment with `overrides` ("NAME=value") put in.
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    const std::string name = text.substr(0, text.find('=') + 1);
    bool overridden = false;
    for (const auto& override : overrides) overridden = overridden || override.starts_with(name);
    if (!overridden) out.push_back(text);
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

// The child leads a process group of its own, so that it and whatever it starts can be
// killed together; stdout and stderr go to `output_fd`.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, int output_fd) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::vector<std::string> environment = merged_environment(env);
  std::vector<char*> envp;
  for (const auto& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(output_fd, 1);
    dup2(output_fd, 2);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

// The exit code, or 128 + the signal that ended it.
int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

bool wait_exit(pid_t pid, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (Clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

void kill_group(pid_t pid) {
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// A port below the ephemeral range (Linux: 32768 and up), free when asked: the broker
// binds it seconds later, and a port the kernel handed out could meanwhile be taken as
// the source port of any outgoing loopback connection (that made its listener fail).
std::uint16_t free_port() {
  static std::mt19937 generator{std::random_device{}()};
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(std::uniform_int_distribution<int>(20000, 32000)(generator));
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const auto address = loopback(port);
    const bool free = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    if (free) return port;
  }
  throw std::runtime_error("cannot find a free port");
}

// A connected socket to the port on loopback, or -1.
int connect_to(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const auto address = loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) return fd;
  close(fd);
  return -1;
}

// Answers the AMQP protocol header: the broker has booted and its listener is up.
bool accepts_amqp(std::uint16_t port) {
  const int fd = connect_to(port);
  if (fd < 0) return false;
  static const char kHeader[] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
  char byte = 0;
  pollfd readable{fd, POLLIN, 0};
  const bool answered = send(fd, kHeader, sizeof kHeader, MSG_NOSIGNAL) == sizeof kHeader &&
                        poll(&readable, 1, 2000) == 1 && recv(fd, &byte, 1, 0) == 1;
  close(fd);
  return answered;
}

// Takes a TCP connection: the listener is up (the TLS one, whose handshake needs a client certificate).
bool accepts_connection(std::uint16_t port) {
  const int fd = connect_to(port);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// Threads of process group `group` that are not stopped (state T) or gone (Z, X).
std::size_t running_threads(pid_t group) {
  std::size_t running = 0;
  std::error_code error;
  for (const auto& process : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = process.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    for (const auto& task : std::filesystem::directory_iterator(process.path() / "task", error)) {
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const std::string stat = read_file(task.path() / "stat");
      const std::size_t end = stat.rfind(')');
      if (end == std::string::npos) continue;
      std::istringstream fields(stat.substr(end + 1));
      char state = 0;
      pid_t parent = 0;
      pid_t pgrp = 0;
      if (!(fields >> state >> parent >> pgrp) || pgrp != group) break;  // the whole process is elsewhere
      if (state != 'T' && state != 't' && state != 'Z' && state != 'X') ++running;
    }
  }
  return running;
}

std::unique_ptr<RabbitServer>& the_server() {
  static std::unique_ptr<RabbitServer> server;
  return server;
}

class RabbitEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // Once more on other ports if a listener could not be had (another test took one).
    try {
      the_server() = std::make_unique<RabbitServer>();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "rabbitmq-server did not start, trying other ports: %s\n", error.what());
      the_server() = std::make_unique<RabbitServer>();
    }
    std::fprintf(stderr, "rabbitmq-server ready after %lld ms\n",
                 static_cast<long long>(the_server()->last_start_time().count()));
  }
  void TearDown() override { the_server().reset(); }
};

[[maybe_unused]] const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new RabbitEnvironment);

}  // namespace

bool eventually(const std::function<bool()>& done, Duration timeout, Duration every) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

CommandResult run_command(const std::vector<std::string>& argv, Duration timeout, const std::vector<std::string>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = spawn(argv, env, fds[1]);
  close(fds[1]);
  CommandResult result;
  const auto deadline = Clock::now() + timeout;
  char buffer[4096];
  bool timed_out = false;
  while (true) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now()).count();
    pollfd readable{fds[0], POLLIN, 0};
    if (left <= 0 || poll(&readable, 1, static_cast<int>(left)) == 0) {
      timed_out = true;
      break;
    }
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  if (timed_out) {
    kill_group(pid);
    result.exit_code = 137;
    return result;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = exit_code(status);
  return result;
}

RabbitServer::RabbitServer() {
  char pattern[] = "/tmp/cw-rabbit-XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  node_ = "cw-test-" + std::to_string(getpid()) + "@localhost";
  port_ = free_port();
  tls_port_ = free_port();
  dist_port_ = free_port();
  epmd_port_ = free_port();
  write_files();
  // An epmd of its own, so that no daemon outlives the tests or meets another test's.
  const int epmd_out = open((dir_ / "epmd.out").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  epmd_pid_ = spawn({"epmd", "-port", std::to_string(epmd_port_)}, {}, epmd_out);
  close(epmd_out);
  start();
}

RabbitServer::~RabbitServer() {
  stop();
  if (epmd_pid_ > 0) kill_group(epmd_pid_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RabbitServer::write_files() {
  std::filesystem::create_directories(dir_ / "mnesia");
  std::filesystem::create_directories(dir_ / "log");
  const std::string d = dir_.string();
  // A CA, the server's certificate for localhost and 127.0.0.1, a client certificate,
  // and another CA that signed neither.
  const std::string script =
      "set -e; cd '" + d +
      "'\n"
      "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \"$1\" 2>/dev/null; }\n"
      "key ca.key; key other_ca.key; key server.key; key client.key\n"
      "openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=causeway-test-ca\n"
      "openssl req -x509 -new -key other_ca.key -out other_ca.pem -days 2 -subj /CN=causeway-other-ca\n"
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > server.ext\n"
      "openssl req -new -key server.key -out server.csr -subj /CN=localhost\n"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
      "-extfile server.ext 2>/dev/null\n"
      "openssl req -new -key client.key -out client.csr -subj /CN=causeway-client\n"
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null\n";
  const CommandResult pki = run_command({"sh", "-c", script}, 30s);
  if (pki.exit_code != 0) throw std::runtime_error("openssl failed: " + pki.output);
  write_file(dir_ / "rabbitmq.conf",
             "listeners.tcp.default = 127.0.0.1:" + std::to_string(port_) + "\n" +
                 "listeners.ssl.default = 127.0.0.1:" + std::to_string(tls_port_) + "\n" +
                 "ssl_options.cacertfile = " + d + "/ca.pem\n" + "ssl_options.certfile = " + d + "/server.pem\n" +
                 "ssl_options.keyfile = " + d + "/server.key\n" + "ssl_options.verify = verify_peer\n" +
                 "ssl_options.fail_if_no_peer_cert = true\n" + "disk_free_limit.absolute = 1MB\n");
  write_file(dir_ / "enabled_plugins", "[].\n");
  write_file(dir_ / "rabbitmq-env.conf", "");
}

std::vector<std::string> RabbitServer::environment() const {
  const std::string d = dir_.string();
  return {"HOME=" + d,  // the Erlang cookie goes here
          "RABBITMQ_NODENAME=" + node_,
          "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
          "RABBITMQ_NODE_PORT=" + std::to_string(port_),
          "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
          "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
          "RABBITMQ_MNESIA_BASE=" + d + "/mnesia",
          "RABBITMQ_LOG_BASE=" + d + "/log",
          "RABBITMQ_CONFIG_FILE=" + d + "/rabbitmq.conf",
          "RABBITMQ_ENABLED_PLUGINS_FILE=" + d + "/enabled_plugins",
          "RABBITMQ_CONF_ENV_FILE=" + d + "/rabbitmq-env.conf",
          "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-start_epmd false"};
}

void RabbitServer::start() {
  if (pid_ > 0) return;
  const auto began = Clock::now();
  const int out = open((dir_ / "server.out").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = spawn({"/usr/lib/rabbitmq/bin/rabbitmq-server"}, environment(), out);
  close(out);
  bool exited = false;
  const bool ready = eventually(
      [this, &exited] {
        int status = 0;
        exited = waitpid(pid_, &status, WNOHANG) == pid_;
        // The TLS listener starts after the plain one: a TLS test right after "ready" found it closed.
        return exited || (accepts_amqp(port_) && accepts_connection(tls_port_));
      },
      90s, 100ms);
  if (exited) {
    kill(-pid_, SIGKILL);
    pid_ = -1;
    throw std::runtime_error("rabbitmq-server exited:\n" + log());
  }
  if (!ready) {
    const std::string tail = log();
    stop();
    throw std::runtime_error("rabbitmq-server did not accept AMQP within 90 s:\n" + tail);
  }
  last_start_ = std::chrono::duration_cast<Duration>(Clock::now() - began);
}

void RabbitServer::start_empty() {
  stop();
  std::filesystem::remove_all(dir_ / "mnesia");
  std::filesystem::create_directories(dir_ / "mnesia");
  start();
}

void RabbitServer::stop() {
  if (pid_ <= 0) return;
  thaw();  // a frozen launcher would not pass the signal on
  kill(pid_, SIGTERM);
  if (!wait_exit(pid_, 30s)) {
    kill_group(pid_);
  } else {
    kill(-pid_, SIGKILL);  // whatever the broker started and left behind
  }
  pid_ = -1;
}

void RabbitServer::freeze() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGSTOP);
  // kill() only queues the signal: each thread stops once the scheduler runs it, and until
  // then (milliseconds on a busy machine) the broker goes on reading, storing and confirming.
  if (!eventually([this] { return running_threads(pid_) == 0; }, 10s, 1ms)) {
    throw std::runtime_error("rabbitmq-server did not stop within 10 s of SIGSTOP");
  }
}

void RabbitServer::thaw() {
  if (pid_ > 0) kill(-pid_, SIGCONT);
}

CommandResult RabbitServer::ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", node_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, 60s, environment());
}

std::string RabbitServer::url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_) + "/%2f"; }

std::string RabbitServer::tls_url() const {
  return "amqps://guest:guest@127.0.0.1:" + std::to_string(tls_port_) + "/%2f";
}

std::string RabbitServer::log() const {
  std::string text = read_file(dir_ / "server.out");
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "log")) text += read_file(entry.path());
  return text.size() > 6000 ? text.substr(text.size() - 6000) : text;
}

CommandResult RabbitServer::pika(const std::string& script, Duration timeout) const {
  const std::string prelude =
      "import json, time, pika\n"
      "conn = pika.BlockingConnection(pika.ConnectionParameters('127.0.0.1', " +
      std::to_string(port_) +
      "))\n"
      "ch = conn.channel()\n";
  // Debian's python3-pika: /usr/bin/python3 explicitly, not whatever `python3` is first on PATH.
  return run_command({"/usr/bin/python3", "-c", prelude + script + "\nconn.close()\n"}, timeout);
}

RabbitServer& rabbit_server() {
  if (!the_server()) throw std::runtime_error("the RabbitMQ test broker is not running");
  return *the_server();
}

}  // namespace causeway::testing::rabbit
