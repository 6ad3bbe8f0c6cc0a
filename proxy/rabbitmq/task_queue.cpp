#include "rabbitmq/task_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <utility>

namespace causeway::rabbitmq {

TaskQueue::TaskQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");  // at construction, from the broker factory
}

TaskQueue::~TaskQueue() { ::close(fd_); }

bool TaskQueue::post(Task task) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    wake = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  if (wake) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(fd_, &one, sizeof one);
  }
  return true;
}

std::deque<TaskQueue::Task> TaskQueue::take() {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t read = ::read(fd_, &count, sizeof count);
  std::lock_guard lock(mutex_);
  return std::exchange(tasks_, {});
}

std::deque<TaskQueue::Task> TaskQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  return std::exchange(tasks_, {});
}

}  // namespace causeway::rabbitmq
