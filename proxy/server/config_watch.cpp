#include "server/config_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <spdlog/spdlog.h>
#include <thread>

namespace causeway::server {

namespace {

// Writes often come in bursts (truncate, write, rename): one reload after they settle.
constexpr int kSettleMs = 200;

}  // namespace

struct ConfigWatch::Impl {
  int inotify = -1;
  int stop_pipe[2] = {-1, -1};
  std::string name;
  std::function<void()> on_change;
  std::thread thread;

  // True when the batch of events at fd mentions the file (or the directory swap).
  bool read_events() {
    alignas(inotify_event) char buffer[8192];
    const ssize_t size = read(inotify, buffer, sizeof buffer);
    bool relevant = false;
    for (ssize_t offset = 0; offset < size;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      if (event->len == 0 || name == event->name || std::string_view(event->name) == "..data") relevant = true;
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
    return relevant;
  }

  void run() {
    pollfd fds[2] = {{inotify, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
    bool changed = false;
    for (;;) {
      const int ready = poll(fds, 2, changed ? kSettleMs : -1);
      if (ready < 0) continue;
      if (fds[1].revents) return;
      if (ready == 0) {  // quiet for kSettleMs after a change
        changed = false;
        on_change();
        continue;
      }
      if (fds[0].revents && read_events()) changed = true;
    }
  }
};

ConfigWatch::ConfigWatch(const std::string& file, std::function<void()> on_change) : impl_(std::make_unique<Impl>()) {
  std::filesystem::path path = std::filesystem::absolute(file);
  impl_->name = path.filename().string();
  impl_->on_change = std::move(on_change);
  impl_->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (impl_->inotify < 0 || pipe2(impl_->stop_pipe, O_CLOEXEC) != 0) {
    spdlog::warn("cannot watch {} for changes; reload with SIGHUP or POST /reload", file);
    return;
  }
  const auto mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE;
  if (inotify_add_watch(impl_->inotify, path.parent_path().c_str(), mask) < 0) {
    spdlog::warn("cannot watch {} for changes; reload with SIGHUP or POST /reload", file);
    return;
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

ConfigWatch::~ConfigWatch() {
  if (impl_->thread.joinable()) {
    const char stop = 1;
    [[maybe_unused]] auto written = write(impl_->stop_pipe[1], &stop, 1);
    impl_->thread.join();
  }
  for (int fd : {impl_->inotify, impl_->stop_pipe[0], impl_->stop_pipe[1]}) {
    if (fd >= 0) close(fd);
  }
}

}  // namespace causeway::server
