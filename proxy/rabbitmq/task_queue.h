#pragma once
// How other threads hand work to a connection's I/O thread: a queue of tasks and an
// eventfd that the thread polls together with its socket.

#include <deque>
#include <functional>
#include <mutex>

namespace causeway::rabbitmq {

class TaskQueue {
 public:
  using Task = std::function<void()>;
  TaskQueue();
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // False once closed: the task did not and will not run.
  bool post(Task task);
  // Everything posted so far, in order; clears the wakeup.
  std::deque<Task> take();
  // No more posts; what was posted and not taken yet.
  std::deque<Task> close();
  int fd() const { return fd_; }  // readable while tasks wait

 private:
  int fd_;
  std::mutex mutex_;
  std::deque<Task> tasks_;
  bool closed_ = false;
};

}  // namespace causeway::rabbitmq
