#include "http/loop_timers.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "http/io_threads.h"

namespace causeway::http {

void LoopTimers::after(std::chrono::milliseconds delay, std::function<void()> task) {
  auto& context = threads_.next();
  // The timer is made and armed on its own loop, so callers on any thread never touch it.
  boost::asio::post(context, [&context, delay, task = std::move(task)]() mutable {
    auto timer = std::make_shared<boost::asio::steady_timer>(context, delay);
    timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& error) {
      if (!error) task();
    });
  });
}

}  // namespace causeway::http
