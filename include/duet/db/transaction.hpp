// Transactions: django.db.transaction's atomic (scoped, savepoints when nested), on_commit, and an async
// atomic.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "duet/db/detail/async_atomic.hpp"
#include "duet/db/detail/async_query.hpp"
#include "duet/db/detail/on_strand.hpp"
#include "duet/db/settings.hpp"
#include "duet/runtime/sync_to_async.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db::transaction {

namespace detail {
/// What one atomic block opened: a transaction (outermost), a savepoint, or nothing (savepoint=false).
struct AtomicFrame {
  std::string alias;
  bool outermost = false;
  std::string savepoint;  // empty when none was made
};
AtomicFrame enter(std::string_view alias, bool savepoint);
/// `success` false rolls back (to the savepoint, or the whole transaction if outermost). Committing can throw
/// (a deferred foreign key checked at COMMIT raises IntegrityError); the transaction is then rolled back.
void exit(const AtomicFrame& frame, bool success);
}  // namespace detail

/// `with transaction.atomic():` as a scope:
///
///     {
///       duet::db::transaction::atomic tx;          // BEGIN, or SAVEPOINT when nested
///       author.save();
///       book.save();
///     }                                             // COMMIT (or RELEASE); ROLLBACK if an exception passes
///
/// The destructor commits when the scope is left normally and may then throw (COMMIT can fail); it rolls
/// back, without throwing, when the scope is left by an exception.
class atomic {
 public:
  explicit atomic(std::string_view alias = DEFAULT_DB_ALIAS, bool savepoint = true);
  ~atomic() noexcept(false);
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

 private:
  detail::AtomicFrame frame_;
  int uncaught_;
};

/// Runs `fn()` inside atomic() and returns its result: commit on return, rollback if it throws.
template <class Fn>
auto run_atomic(Fn&& fn, std::string_view alias = DEFAULT_DB_ALIAS, bool savepoint = true) {
  atomic tx(alias, savepoint);
  return std::forward<Fn>(fn)();
}

namespace detail {
template <class MakeTask>
struct AatomicCall {
  MakeTask make;
  std::string alias;
  bool savepoint;
};

// The coroutine half takes only a pointer: g++ 12 relocates class-type coroutine arguments bitwise
// (see db/detail/on_strand.hpp).
template <class MakeTask>
auto aatomic_impl(AatomicCall<MakeTask>* raw) -> std::invoke_result_t<MakeTask&> {
  using R = typename std::invoke_result_t<MakeTask&>::value_type;
  std::unique_ptr<AatomicCall<MakeTask>> call(raw);
  auto enter = duet::db::detail::on_strand([raw] { return detail::enter(raw->alias, raw->savepoint); });
  AtomicFrame frame = co_await std::move(enter);
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
  const bool ok = !error;
  auto leave = duet::db::detail::on_strand([&frame, ok] { detail::exit(frame, ok); });
  co_await std::move(leave);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}
}  // namespace detail

/// The async atomic Django lacks: `co_await aatomic([&]() -> Task<R> { co_await book.asave(); ... })`.
/// The transaction lives on the connection of this flow's sync strand — the one thread every ORM a-call of
/// the flow runs on — so each query awaited inside `make()` is part of it. Commit when the task returns,
/// rollback when it throws (the exception is rethrown unchanged).
/// The alias is a string_view: an owning std::string default argument would be a temporary of the caller's
/// co_await expression, which g++ 12 relocates bitwise and frees twice (GCC bug 99576).
template <class MakeTask>
auto aatomic(MakeTask make, std::string_view alias = DEFAULT_DB_ALIAS, bool savepoint = true)
    -> std::invoke_result_t<MakeTask&> {
  // PostgreSQL: natively, on a pooled connection pinned to the flow (db/detail/async_atomic.hpp).
  if (duet::db::detail::native_async(alias)) {
    return duet::db::detail::native_aatomic_impl(
        new duet::db::detail::NativeAtomicCall<MakeTask>{std::move(make), std::string(alias), savepoint});
  }
  return detail::aatomic_impl(
      new detail::AatomicCall<MakeTask>{std::move(make), std::string(alias), savepoint});
}

/// Runs `fn` after the current transaction of `alias` commits (immediately when none is open); dropped if it
/// rolls back, or if the savepoint it was registered in is rolled back.
void on_commit(std::function<void()> fn, std::string_view alias = DEFAULT_DB_ALIAS);

/// Marks the current atomic block to roll back when it ends (without raising).
void set_rollback(bool rollback, std::string_view alias = DEFAULT_DB_ALIAS);
bool get_rollback(std::string_view alias = DEFAULT_DB_ALIAS);

/// True inside an atomic block of `alias` on this thread.
bool in_atomic_block(std::string_view alias = DEFAULT_DB_ALIAS);
/// The async twin, from a coroutine: inside an aatomic block of `alias` for this flow. On PostgreSQL that is
/// the native transaction pinned to the flow (sync code of the flow, on its strand, is not part of it); on
/// SQLite the strand's connection's.
Task<bool> ain_atomic_block(std::string_view alias = DEFAULT_DB_ALIAS);

}  // namespace duet::db::transaction
