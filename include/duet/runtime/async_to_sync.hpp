// async_to_sync: call a coroutine from blocking code and wait for its result.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "duet/runtime/detail/unique_function.hpp"
#include "duet/runtime/task.hpp"

namespace duet {

namespace detail {

/// Runs the task made by `make` to completion and returns when it is done (DESIGN.md §4): on the current
/// flow's loop when called from a sync thread of that flow — serving the flow's thread-sensitive work
/// meanwhile, so sync → async → sync nesting cannot deadlock — or on the process's fallback loop from a
/// plain thread, with the calling thread as the new flow's sync strand. Throws on a loop thread.
void block_on_task(Task<void> (*trampoline)(void*), void* state);

template <class MakeTask>
struct AsyncToSyncState {
  using R = typename std::invoke_result_t<MakeTask&>::value_type;
  MakeTask make;
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
  std::exception_ptr error;

  static Task<void> run(void* self) {
    auto& state = *static_cast<AsyncToSyncState*>(self);
    try {
      if constexpr (std::is_void_v<R>) {
        co_await state.make();
        state.value.emplace(true);
      } else {
        state.value.emplace(co_await state.make());
      }
    } catch (...) {
      state.error = std::current_exception();
    }
  }
};

}  // namespace detail

/// Calls `make()` — a callable returning Task<R>, typically a coroutine lambda — and blocks until the task
/// finishes; returns its value or rethrows its exception unchanged.
///
///     auto rows = duet::async_to_sync([&]() -> duet::Task<int> { co_return co_await
///     Book::objects().acount(); });
///
/// From a sync thread of a flow (a sync view, code under sync_to_async) the task runs on that flow's loop,
/// in the same flow, while this thread keeps serving the flow's thread-sensitive calls. From a plain thread
/// it runs on a fallback loop and this thread serves the new flow's thread-sensitive calls. On an
/// event-loop thread it throws SynchronousOnlyOperation: there, `co_await` the task directly.
template <class MakeTask>
auto async_to_sync(MakeTask make) -> typename std::invoke_result_t<MakeTask&>::value_type {
  using State = detail::AsyncToSyncState<MakeTask>;
  using R = typename State::R;
  State state{std::move(make), std::nullopt, nullptr};
  detail::block_on_task(&State::run, &state);
  if (state.error) std::rethrow_exception(state.error);
  if constexpr (!std::is_void_v<R>) return std::move(*state.value);
}

}  // namespace duet
