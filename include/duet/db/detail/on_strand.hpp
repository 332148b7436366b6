// on_strand(fn): sync_to_async for the ORM's a-methods, passing the runtime only a trivially destructible
// callable.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "duet/runtime/sync_to_async.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db::detail {

template <class Fn>
struct StrandCall {
  using R = std::invoke_result_t<Fn&>;
  Fn fn;
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
};

// The coroutine half: it receives only a pointer, never the closure itself.
template <class Fn>
auto on_strand_impl(StrandCall<Fn>* state) -> Task<typename StrandCall<Fn>::R> {
  using R = typename StrandCall<Fn>::R;
  std::unique_ptr<StrandCall<Fn>> owned(state);
  co_await sync_to_async([state] {
    if constexpr (std::is_void_v<R>) {
      state->fn();
      state->result.emplace(true);
    } else {
      state->result.emplace(state->fn());
    }
  });
  if constexpr (!std::is_void_v<R>) co_return std::move(*owned->result);
}

/// Runs `fn` on the flow's sync strand like duet::sync_to_async and returns its result. Why not call that
/// directly: g++ 12 relocates a closure passed by value into a coroutine (sync_to_async's parameter)
/// bitwise, so captures such as a short std::string or a shared_ptr end up freed twice or from the wrong
/// address (reproduced under ASan; reported to the runtime). Here the closure is moved to the heap by this
/// plain function, and the coroutines involved only ever see a pointer. If the await is cancelled while the
/// call is still queued, the state is freed with this coroutine and the call never runs.
template <class Fn>
auto on_strand(Fn fn) -> Task<std::invoke_result_t<Fn&>> {
  return on_strand_impl<Fn>(new StrandCall<Fn>{std::move(fn), std::nullopt});
}

}  // namespace duet::db::detail
