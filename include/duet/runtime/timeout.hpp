// sleep and with_timeout: time in coroutines. A timeout is a cancellation of the timed task.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

#include "duet/runtime/detail/optional_task.hpp"
#include "duet/runtime/task.hpp"

namespace duet {

/// Thrown by with_timeout when the task did not finish in time (the task has been cancelled by then).
class TimeoutError : public std::runtime_error {
 public:
  explicit TimeoutError(std::chrono::steady_clock::duration timeout);
  std::chrono::steady_clock::duration timeout() const noexcept { return timeout_; }

 private:
  std::chrono::steady_clock::duration timeout_;
};

/// Suspends the calling coroutine for `duration` without blocking its loop. Cancellable.
inline Task<void> sleep(std::chrono::steady_clock::duration duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  // `deferred` rather than `use_awaitable`: no intermediate coroutine frame, ~140 bytes less per sleeper.
  co_await timer.async_wait(boost::asio::deferred);
}

/// Runs `task` and returns its result, or cancels it and throws TimeoutError once `timeout` has passed.
/// The cancellation reaches whatever the task is awaiting (a socket read, a sleep, a query); a sync
/// function it awaits through sync_to_async cannot be interrupted, so the TimeoutError comes when it ends.
template <class T>
Task<T> with_timeout(Task<T> task, std::chrono::steady_clock::duration timeout) {
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor, timeout);
  auto [order, error, value, timer_error] =
      co_await boost::asio::experimental::make_parallel_group(
          boost::asio::co_spawn(executor, detail::as_optional(std::move(task)), boost::asio::deferred),
          timer.async_wait(boost::asio::deferred))
          .async_wait(boost::asio::experimental::wait_for_one(), boost::asio::use_awaitable);
  if (order[0] == 1 && !timer_error) throw TimeoutError(timeout);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) co_return std::move(*value);
}

}  // namespace duet
