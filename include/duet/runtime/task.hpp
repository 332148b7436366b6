// Task<T>: the coroutine type of every async API in duet.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace duet {

/// A coroutine returning T. It is Asio's awaitable, so it composes with every Asio operation
/// (`co_await timer.async_wait(boost::asio::use_awaitable)`), and after any `co_await` it resumes on the
/// executor it started on.
template <class T = void>
using Task = boost::asio::awaitable<T>;

/// The executor type tasks run on.
using Executor = boost::asio::any_io_executor;

}  // namespace duet
