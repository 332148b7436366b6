// The native async path of the ORM's a-methods on PostgreSQL: statements compiled on the loop thread, run on
// the loop's pool (or the connection the flow's aatomic pinned), results hydrated on the loop. No thread hop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "duet/db/backends/postgresql/connection.hpp"
#include "duet/db/models/query.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db::detail {

/// True when the a-methods of `alias` run natively on the event loop (PostgreSQL); false when they go
/// through the flow's sync strand: on SQLite, whose API is blocking, and on PostgreSQL while the thread
/// serving that strand holds an atomic block open (a TestCase, a sync view calling async_to_sync), whose
/// uncommitted rows only its own connection sees.
bool native_async(std::string_view alias);

/// Runs one compiled statement (with the compiler's `?` placeholders) natively: on the connection the
/// current flow's aatomic pinned for `alias`, else on the calling loop's pool. `compiled`'s SQL and
/// parameters are moved out. Must be awaited on a loop thread. `read`: a SELECT the ORM compiled (it only
/// reads): outside aatomic() it goes through Pool::read(), sharing a sync point with the other reads of
/// the loop's turn.
Task<postgresql::Result> async_run(const std::string& alias, CompiledQuery& compiled, bool read = false);
/// async_run() called from a coroutine that passes its own executor (`co_await this_coro::executor`, which
/// does not suspend): a plain function returning the driver's own task, one coroutine frame less per query.
/// Awaited at once by that coroutine.
/// `rows_as`: RowsAs::raw leaves a read's rows as the driver received them (Result::raw) where it can (on
/// the loop's pool); read them through hydrate(..., result, row, ...) below, which takes either form.
Task<postgresql::Result> async_run(const std::string& alias, CompiledQuery& compiled, bool read,
                                   const Executor& executor,
                                   postgresql::RowsAs rows_as = postgresql::RowsAs::converted);
/// Fills the object at `obj` from row `row` of `result` (converted or raw), as hydrate() from a Row does.
void hydrate(const ModelMeta& meta, void* obj, ModelState& state, const postgresql::Result& result,
             std::size_t row, const SelectPlan& plan, const std::string& alias);
/// compile_select(q), or compile_select_window(q, low, high) when `windowed`, for async_run(): when the
/// shape's `$n` text is shared (native_sql), `sql` stays empty instead of copying the `?` text, which
/// async_run() does not read then.
CompiledQuery compile_select_native(const Query& q, bool windowed = false, std::int64_t low = 0,
                                    std::int64_t high = 0);
/// get()'s select for async_run(), as compile_select_native(): an unsliced `q` limited to [0:21] unless
/// at most one row can match (matches_at_most_one_row), a verdict remembered with the cached shape.
CompiledQuery compile_get_native(const Query& q);
/// async_run for a statement built by hand.
Task<postgresql::Result> async_run_sql(const std::string& alias, std::string& sql, std::vector<Value>& params,
                                       bool read = false);

/// The INSERT ... RETURNING the key of the async save path, compiled without running; it applies
/// auto_now/auto_now_add and defaults to the object first, as the sync save() does. (The UPDATE both paths
/// try first is compile_save_update, src/db/auto_fields.hpp.)
CompiledQuery compile_save_insert(const ModelMeta& meta, void* obj);
/// After an INSERT ... RETURNING: sets the key from the returned row and marks the instance saved.
void finish_insert(const ModelMeta& meta, void* obj, ModelState& state, const postgresql::Result& result,
                   const std::string& alias);

/// save()/asave() natively (UPDATE, then INSERT when nothing was updated, as Django's save()).
Task<void> async_save(const ModelMeta& meta, void* obj, ModelState& state, const std::string& alias,
                      bool force_insert, const std::vector<std::string>& update_fields);
/// bulk_update() natively: one UPDATE (CASE WHEN pk = ...) per batch of `batch_size` rows; several batches
/// run in one transaction. Returns the number of rows matched.
Task<std::int64_t> async_update_many(const ModelMeta& meta, const std::vector<const void*>& objs,
                                     const std::vector<std::string>& fields, const std::string& alias,
                                     std::size_t batch_size);

template <class Fn>
struct LoopCall {
  Fn fn;
};

template <class Fn>
auto on_loop_impl(LoopCall<Fn>* state) -> std::invoke_result_t<Fn&> {
  std::unique_ptr<LoopCall<Fn>> owned(state);
  co_return co_await owned->fn();
}

/// Runs the coroutine `fn()` returns, keeping `fn` (and what it captured, e.g. the QuerySet whose member
/// coroutine it calls) alive until it finishes. As detail::on_strand, the closure is moved to the heap by
/// this plain function so that no coroutine receives it by value (g++ 12 relocates such arguments bitwise).
template <class Fn>
auto on_loop(Fn fn) -> std::invoke_result_t<Fn&> {
  return on_loop_impl<Fn>(new LoopCall<Fn>{std::move(fn)});
}

}  // namespace duet::db::detail
