// gather: run tasks concurrently in the current flow and collect their results.
#pragma once

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "duet/runtime/detail/optional_task.hpp"
#include "duet/runtime/task.hpp"

namespace duet {

namespace detail {

template <class Order, class Errors>
void rethrow_first_failure(const Order& order, const Errors& errors) {
  // Completion order, not argument order: the failure that triggered the cancellation of the others is the
  // one to report, not the cancellation errors it caused.
  for (std::size_t index : order) {
    if (errors[index]) std::rethrow_exception(errors[index]);
  }
}

template <class Tuple, std::size_t... I>
auto gather_results(Tuple& results, std::index_sequence<I...>) {
  const auto& order = std::get<0>(results);
  std::array<std::exception_ptr, sizeof...(I)> errors{std::get<1 + 2 * I>(results)...};
  rethrow_first_failure(order, errors);
  return std::make_tuple(std::move(*std::get<2 + 2 * I>(results))...);
}

}  // namespace detail

/// Runs the tasks concurrently on the current executor (same loop, same flow) and returns their results in
/// argument order; a void task contributes std::monostate. The first task to fail cancels the others, and
/// its exception is rethrown once they have all finished.
///
///     auto [user, orders] = co_await duet::gather(fetch_user(id), fetch_orders(id));
template <class... T>
Task<std::tuple<detail::ValueOrMonostate<T>...>> gather(Task<T>... tasks) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto results =
      co_await boost::asio::experimental::make_parallel_group(
          boost::asio::co_spawn(executor, detail::as_optional(std::move(tasks)), boost::asio::deferred)...)
          .async_wait(boost::asio::experimental::wait_for_one_error(), boost::asio::use_awaitable);
  co_return detail::gather_results(results, std::index_sequence_for<T...>{});
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
  auto executor = co_await boost::asio::this_coro::executor;
  using Operation = decltype(boost::asio::co_spawn(executor, detail::as_optional(std::move(tasks.front())),
                                                   boost::asio::deferred));
  std::vector<Operation> operations;
  operations.reserve(tasks.size());
  for (auto& task : tasks) {
    operations.push_back(
        boost::asio::co_spawn(executor, detail::as_optional(std::move(task)), boost::asio::deferred));
  }
  auto [order, errors, values] =
      co_await boost::asio::experimental::make_parallel_group(std::move(operations))
          .async_wait(boost::asio::experimental::wait_for_one_error(), boost::asio::use_awaitable);
  detail::rethrow_first_failure(order, errors);
  if constexpr (!std::is_void_v<T>) {
    std::vector<T> out;
    out.reserve(values.size());
    for (auto& value : values)
      out.push_back(std::move(*value));
    co_return out;
  }
}

}  // namespace duet
