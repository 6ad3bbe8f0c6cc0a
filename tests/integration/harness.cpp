// Child processes for the integration tests: causeway, the mock broker, CLI runs.
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace causeway::testing {

namespace {

// A peer that goes away must fail a send, not kill the test binary.
const bool kIgnoreSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

bool eventually(const std::function<bool()>& done, Duration timeout, Duration every) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

Address Address::parse(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("not host:port: " + text);
  return Address{text.substr(0, colon), static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
}

std::string Address::text() const { return host + ":" + std::to_string(port); }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "causeway-it-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& text) const {
  auto file = path_ / name;
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

Subprocess::Subprocess(std::vector<std::string> argv) {
  int in[2], out[2];
  // Close-on-exec, so a later child cannot hold this one's pipes open.
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t parent = getpid();

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphans when the test binary crashes
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    close_range(3, ~0U, 0);  // sockets and pipes of the test stay with the test
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  reader_ = std::thread([this, fd = out[0]] { read_output(fd); });
}

Subprocess::~Subprocess() {
  kill9();
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (reader_.joinable()) reader_.join();
}

void Subprocess::read_output(int fd) {
  std::string partial;
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(chunk, static_cast<std::size_t>(n));
    std::lock_guard lock(mutex_);
    for (auto end = partial.find('\n'); end != std::string::npos; end = partial.find('\n')) {
      lines_.push_back(partial.substr(0, end));
      partial.erase(0, end + 1);
    }
    changed_.notify_all();
  }
  close(fd);
  std::lock_guard lock(mutex_);
  if (!partial.empty()) lines_.push_back(partial);
  output_ended_ = true;
  changed_.notify_all();
}

void Subprocess::write_line(const std::string& line) {
  std::string text = line + "\n";
  if (::write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw std::runtime_error("cannot write to the child's stdin: " + line);
  }
}

std::optional<std::vector<std::string>> Subprocess::wait_for_line(const std::regex& pattern, Duration timeout,
                                                                  std::size_t from) {
  std::unique_lock lock(mutex_);
  auto deadline = Clock::now() + timeout;
  for (std::size_t next = from;;) {
    for (; next < lines_.size(); ++next) {
      std::smatch match;
      if (std::regex_search(lines_[next], match, pattern)) return std::vector<std::string>(match.begin(), match.end());
    }
    if (output_ended_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && next == lines_.size()) return std::nullopt;
  }
}

bool Subprocess::wait_output_end(Duration timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return output_ended_; });
}

std::size_t Subprocess::line_count() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

std::string Subprocess::output() const {
  std::lock_guard lock(mutex_);
  std::string text;
  for (const auto& line : lines_) text += line + "\n";
  return text;
}

void Subprocess::signal(int number) {
  if (running()) ::kill(pid_, number);
}

bool Subprocess::running() {
  if (exit_code_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

std::optional<int> Subprocess::wait_exit(Duration timeout) {
  eventually([this] { return !running(); }, timeout, 5ms);
  return exit_code_;
}

void Subprocess::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_code_ = 128 + SIGKILL;
}

CommandResult run_command(std::vector<std::string> argv, Duration timeout) {
  Subprocess process(std::move(argv));
  auto code = process.wait_exit(timeout);
  if (!code) process.kill9();
  process.wait_output_end(2s);
  return CommandResult{code.value_or(128 + SIGKILL), process.output()};
}

std::string TestConfig::yaml() const {
  std::string text = R"(admin: { listen: 127.0.0.1:0 }
drain_timeout: ${drain_timeout}
listeners:
  public:
    protocol: http
    listen: 127.0.0.1:0
    limits: ${limits}
brokers:
  events:
    bootstrap: ${bootstrap}
    options: ${options}
routes:
  - name: order-created
    from: { listener: public, method: POST, path: "/orders/{customer}/events" }
    to: { broker: events, topic: orders.created, key: "{customer}" }
    headers: [x-tenant]
${routes})";
  text = replace_all(text, "${drain_timeout}", drain_timeout);
  text = replace_all(text, "${limits}", limits);
  text = replace_all(text, "${bootstrap}", bootstrap);
  text = replace_all(text, "${options}", broker_options);
  return replace_all(text, "${routes}", extra_routes);
}

CausewayProcess::CausewayProcess(const std::string& yaml, std::vector<std::string> extra_args) {
  config_file_ = dir_.write("causeway.yaml", yaml);
  std::vector<std::string> argv{CAUSEWAY_BIN, "--config", config_file_.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Subprocess>(std::move(argv));

  // Started: ready, or serving with /readyz at 503 while a broker is away.
  if (!process_->wait_for_line(std::regex(R"(^\S+ (info ready|warning started, not ready: .*)$)"), 20s)) {
    auto code = process_->wait_exit(100ms);
    throw std::runtime_error("causeway did not become ready (" +
                             (code ? "exit code " + std::to_string(*code) : std::string("still running")) +
                             "); config:\n" + yaml + "\nlog:\n" + log());
  }
  // Everything below was logged before "ready".
  std::regex listener(R"(listener '([^']+)' \(\w+\) listening on (\S+))");
  std::regex broker(R"(broker '([^']+)': embedded Kafka broker listening on (\S+))");
  std::regex admin(R"(admin listening on (\S+))");
  std::smatch match;
  std::string text = log();
  for (std::sregex_iterator it(text.begin(), text.end(), listener), end; it != end; ++it) {
    listeners_[(*it)[1]] = Address::parse((*it)[2]);
  }
  for (std::sregex_iterator it(text.begin(), text.end(), broker), end; it != end; ++it) brokers_[(*it)[1]] = (*it)[2];
  if (!std::regex_search(text, match, admin)) throw std::runtime_error("no admin address in the log:\n" + text);
  admin_ = Address::parse(match[1]);
}

Address CausewayProcess::listener(const std::string& name) const {
  auto found = listeners_.find(name);
  if (found == listeners_.end()) throw std::runtime_error("no listener '" + name + "' in the log:\n" + log());
  return found->second;
}

std::string CausewayProcess::broker(const std::string& name) const {
  auto found = brokers_.find(name);
  if (found == brokers_.end()) throw std::runtime_error("no embedded broker '" + name + "' in the log:\n" + log());
  return found->second;
}

bool CausewayProcess::wait_for_log(const std::string& pattern, Duration timeout) {
  return process_->wait_for_line(std::regex(pattern), timeout).has_value();
}

MockBroker::MockBroker() : process_({MOCK_BROKER_BIN}) {
  auto found = process_.wait_for_line(std::regex(R"(^bootstrap=(\S+))"), 10s);
  if (!found) throw std::runtime_error("mock_broker printed no bootstrap:\n" + process_.output());
  bootstrap_ = (*found)[1];
}

void MockBroker::command(const std::string& line) {
  auto from = process_.line_count();
  process_.write_line(line);
  auto answer = process_.wait_for_line(std::regex(R"(^(ok|error: .*)$)"), 10s, from);
  if (!answer || (*answer)[1] != "ok") {
    throw std::runtime_error("mock_broker '" + line + "' failed:\n" + process_.output());
  }
}

}  // namespace causeway::testing
