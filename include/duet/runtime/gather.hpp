// gather: run tasks concurrently in the current flow and collect their results.
#pragma once

#include <array>
#include <boost/asio/this_coro.hpp>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "duet/runtime/detail/gather_group.hpp"
#include "duet/runtime/task.hpp"

namespace duet {

namespace detail {

template <class Values, std::size_t... I, class... T>
void gather_start_all(GatherGroup& group, Values& values, std::index_sequence<I...>, Task<T>&... tasks) {
  (gather_start(group, I, tasks, std::get<I>(values)), ...);
}

template <class Values, std::size_t... I>
auto gather_take(Values& values, std::index_sequence<I...>) {
  return std::make_tuple(std::move(*std::get<I>(values))...);
}

}  // namespace detail

/// Runs the tasks concurrently on the current executor (same loop, same flow) and returns their results in
/// argument order; a void task contributes std::monostate. The first task to fail cancels the others, and
/// its exception is rethrown once they have all finished. Cancelling the gathering coroutine (with_timeout,
/// a client gone) cancels them all.
///
///     auto [user, orders] = co_await duet::gather(fetch_user(id), fetch_orders(id));
template <class... T>
Task<std::tuple<detail::ValueOrMonostate<T>...>> gather(Task<T>... tasks) {
  // The children refer to this frame: no co_await may throw until they are done. (The caller's co_await
  // has just thrown if this coroutine was cancelled already; a cancellation from now on reaches the
  // children, and this coroutine's next co_await after them.)
  const bool throws = co_await boost::asio::this_coro::throw_if_cancelled();
  if (throws) co_await boost::asio::this_coro::throw_if_cancelled(false);
  auto executor = co_await boost::asio::this_coro::executor;
  std::tuple<std::optional<detail::ValueOrMonostate<T>>...> values;
  std::array<detail::GatherChild, sizeof...(T)> children{};
  detail::GatherGroup group(executor, children);
  detail::gather_start_all(group, values, std::index_sequence_for<T...>{}, tasks...);
  if (!group.all_started()) {
    auto wait = group.wait();
    co_await std::move(wait);
  }
  if (throws) co_await boost::asio::this_coro::throw_if_cancelled(true);
  group.rethrow_failure();
  co_return detail::gather_take(values, std::index_sequence_for<T...>{});
}

/// The same over any number of tasks of one type; returns the results in the vector's order
/// (nothing for void tasks).
template <class T>
auto gather(std::vector<Task<T>> tasks) -> Task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> {
  if (tasks.empty()) {
    if constexpr (std::is_void_v<T>) {
      co_return;
    } else {
      co_return std::vector<T>{};
    }
  }
  // The children refer to this frame: no co_await may throw until they are done. (The caller's co_await
  // has just thrown if this coroutine was cancelled already; a cancellation from now on reaches the
  // children, and this coroutine's next co_await after them.)
  const bool throws = co_await boost::asio::this_coro::throw_if_cancelled();
  if (throws) co_await boost::asio::this_coro::throw_if_cancelled(false);
  auto executor = co_await boost::asio::this_coro::executor;
  std::vector<std::optional<detail::ValueOrMonostate<T>>> values(tasks.size());
  std::vector<detail::GatherChild> children(tasks.size());
  detail::GatherGroup group(executor, children);
  for (std::size_t i = 0; i < tasks.size(); ++i)
    detail::gather_start(group, i, tasks[i], values[i]);
  if (!group.all_started()) {
    auto wait = group.wait();
    co_await std::move(wait);
  }
  if (throws) co_await boost::asio::this_coro::throw_if_cancelled(true);
  group.rethrow_failure();
  if constexpr (!std::is_void_v<T>) {
    std::vector<T> out;
    out.reserve(values.size());
    for (auto& value : values)
      out.push_back(std::move(*value));
    co_return out;
  }
}

}  // namespace duet
