#include "http/io_threads.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <optional>
#include <thread>
#include <vector>

namespace causeway::http {

namespace asio = boost::asio;

struct IoThreads::Impl {
  struct Loop {
    // One thread per context: Asio then queues what the loop posts to itself without its lock.
    asio::io_context context{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::thread thread;
  };
  std::string name;
  std::vector<std::unique_ptr<Loop>> loops;
  std::atomic<std::size_t> next{0};
  std::size_t reserved_per_loop = 0;
};

IoThreads::IoThreads(std::size_t count, std::string name) : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  for (std::size_t i = 0; i < (count == 0 ? 1 : count); ++i) {
    auto loop = std::make_unique<Impl::Loop>();
    loop->guard.emplace(loop->context.get_executor());
    impl_->loops.push_back(std::move(loop));
  }
}

IoThreads::~IoThreads() { stop(); }

void IoThreads::reserve_sockets(std::size_t per_loop) {
  // /dev/null cannot be polled, so each assign makes a reactor state without touching the
  // epoll set, and the release puts it on the reactor's free list for the sockets to come.
  if (per_loop <= impl_->reserved_per_loop) return;
  const std::size_t more = per_loop - impl_->reserved_per_loop;
  const int null_device = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_device < 0) return;
  impl_->reserved_per_loop = per_loop;
  for (auto& loop : impl_->loops) {
    std::vector<asio::posix::stream_descriptor> held;
    held.reserve(more);
    boost::system::error_code ec;
    for (std::size_t i = 0; i < more && !ec; ++i) held.emplace_back(loop->context).assign(null_device, ec);
    for (auto& descriptor : held) {
      if (descriptor.is_open()) descriptor.release();
    }
  }
  ::close(null_device);
}

void IoThreads::start() {
  for (std::size_t i = 0; i < impl_->loops.size(); ++i) {
    auto& loop = *impl_->loops[i];
    loop.thread = std::thread([&loop, name = impl_->name] {
      // A handler that throws must not end the process: the loop logs it and goes on.
      for (;;) {
        try {
          loop.context.run();
          return;
        } catch (const std::exception& error) {
          spdlog::error("{}: a task failed and was dropped: {}", name, error.what());
        } catch (...) {
          spdlog::error("{}: a task failed and was dropped", name);
        }
      }
    });
    // Thread names show up in top -H and gdb; 15 characters at most.
    std::string thread_name = (impl_->name + "-" + std::to_string(i)).substr(0, 15);
    pthread_setname_np(loop.thread.native_handle(), thread_name.c_str());
  }
}

void IoThreads::stop() {
  for (auto& loop : impl_->loops) {
    loop->guard.reset();
    loop->context.stop();
  }
  for (auto& loop : impl_->loops) {
    if (loop->thread.joinable()) loop->thread.join();
  }
}

std::size_t IoThreads::size() const { return impl_->loops.size(); }

asio::io_context& IoThreads::context(std::size_t index) { return impl_->loops.at(index)->context; }

std::size_t IoThreads::index_of(const asio::io_context& context) const {
  for (std::size_t i = 0; i < impl_->loops.size(); ++i) {
    if (&impl_->loops[i]->context == &context) return i;
  }
  return 0;
}

void IoThreads::post_to_each(const std::function<void()>& job) {
  for (auto& loop : impl_->loops) asio::post(loop->context, job);
}

asio::io_context& IoThreads::next() {
  return impl_->loops[impl_->next.fetch_add(1, std::memory_order_relaxed) % impl_->loops.size()]->context;
}

}  // namespace causeway::http
