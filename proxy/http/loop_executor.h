#pragma once
// What runs on an event loop is typed with the loop's own executor instead of
// any_io_executor: Asio copies a coroutine's executor at every co_await and every
// operation it starts, and each copy of the type-erased one is an indirect call
// (bench/NOTES.md "The loop's own executor").

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace causeway::http {

using LoopExecutor = boost::asio::io_context::executor_type;
template <class T = void>
using Task = boost::asio::awaitable<T, LoopExecutor>;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, LoopExecutor>;
using Resolver = boost::asio::ip::basic_resolver<boost::asio::ip::tcp, LoopExecutor>;
using Timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                boost::asio::wait_traits<std::chrono::steady_clock>, LoopExecutor>;
using UseTask = boost::asio::use_awaitable_t<LoopExecutor>;
// `co_await operation(use_tuple)` gives the error as a value instead of throwing it.
constexpr auto use_tuple = boost::asio::as_tuple(UseTask{});

}  // namespace causeway::http
