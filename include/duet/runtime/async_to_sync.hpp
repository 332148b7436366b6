// async_to_sync: call a coroutine from blocking code and wait for its result.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "duet/runtime/context.hpp"
#include "duet/runtime/task.hpp"

namespace duet {

namespace detail {

/// Runs the task made by `make` to completion and returns when it is done (DESIGN.md §4): on the current
/// flow's loop when called from a sync thread of that flow — serving the flow's thread-sensitive work
/// meanwhile, so sync → async → sync nesting cannot deadlock — or on the process's fallback loop from a
/// plain thread, with the calling thread as the new flow's sync strand. Throws on a loop thread.
void block_on_task(Task<void> (*trampoline)(void*), void* state);

/// Runs the trampoline's task in `flow` (on its loop) and waits for it on the calling non-loop thread.
void run_in_flow_and_wait(const ContextPtr& flow, Task<void> (*trampoline)(void*), void* state);

/// Keeps the result of a task run for a waiting thread. Everything about the result, an exception included,
/// is handed over to and released by the waiting thread.
template <class MakeTask>
struct BlockingCall {
  using R = typename std::invoke_result_t<MakeTask&>::value_type;
  MakeTask make;
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
  std::exception_ptr error;

  static Task<void> run(void* self) {
    auto& call = *static_cast<BlockingCall*>(self);
    try {
      if constexpr (std::is_void_v<R>) {
        co_await call.make();
        call.value.emplace(true);
      } else {
        call.value.emplace(co_await call.make());
      }
    } catch (...) {
      call.error = std::current_exception();
    }
  }

  R result() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    if constexpr (!std::is_void_v<R>) return std::move(*value);
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
  detail::BlockingCall<MakeTask> call{std::move(make), std::nullopt, nullptr};
  detail::block_on_task(&detail::BlockingCall<MakeTask>::run, &call);
  return call.result();
}

}  // namespace duet
