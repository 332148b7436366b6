// aatomic on PostgreSQL: a pooled connection pinned to the flow for the transaction's life.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "duet/runtime/task.hpp"

namespace duet::db::detail {

/// What one native atomic block opened: the transaction (outermost), a savepoint, or nothing.
struct NativeAtomicFrame {
  std::string alias;
  bool outermost = false;
  std::string savepoint;
};

/// BEGIN on a connection leased from the loop's pool and pinned to the current flow (every ORM a-call of
/// the flow on `alias` then runs on it, in order — also from a gather), or SAVEPOINT when one is open.
Task<NativeAtomicFrame> native_atomic_enter(const std::string& alias, bool savepoint);
/// COMMIT / RELEASE when `success`, else ROLLBACK / ROLLBACK TO; the outermost unpins the connection. A
/// failing COMMIT (a deferred constraint) throws after the rollback.
Task<void> native_atomic_exit(const NativeAtomicFrame& frame, bool success);

template <class MakeTask>
struct NativeAtomicCall {
  MakeTask make;
  std::string alias;
  bool savepoint;
};

template <class MakeTask>
auto native_aatomic_impl(NativeAtomicCall<MakeTask>* raw) -> std::invoke_result_t<MakeTask&> {
  using R = typename std::invoke_result_t<MakeTask&>::value_type;
  std::unique_ptr<NativeAtomicCall<MakeTask>> call(raw);
  NativeAtomicFrame frame = co_await native_atomic_enter(call->alias, call->savepoint);
  std::exception_ptr error;
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
  try {
    if constexpr (std::is_void_v<R>) {
      co_await call->make();
      result.emplace(true);
    } else {
      result.emplace(co_await call->make());
    }
  } catch (...) {
    error = std::current_exception();
  }
  co_await native_atomic_exit(frame, !error);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace duet::db::detail
