// The native async path on PostgreSQL: running compiled statements on the loop's pool, and the instance
// statements (save, bulk_update) the a-methods need, built here without a connection.
#include "duet/db/detail/async_query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <unordered_map>

#include "async_internal.hpp"
#include "auto_fields.hpp"
#include "backends/postgresql/placeholders.hpp"
#include "duet/db/backends/postgresql/pool.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/settings.hpp"
#include "hydrate_fields.hpp"
#include "transaction_boundary.hpp"

namespace duet::db::detail {

namespace asio = boost::asio;

bool native_async(std::string_view alias) {
  // Asked by every a-method call: the last alias's vendor is remembered per thread (nearly always
  // "default"), which keeps vendor_of()'s map lookup off the path until the configuration changes.
  struct Last {
    std::uint64_t generation = 0;
    std::string alias;
    bool postgresql = false;
    bool valid = false;
  };
  thread_local Last last;
  const auto generation = configuration_generation();
  if (!last.valid || last.generation != generation || last.alias != alias) {
    const bool postgresql = vendor_of(alias) == "postgresql";  // throws for an unknown alias: not kept
    last.generation = generation;
    last.alias.assign(alias);
    last.postgresql = postgresql;
    last.valid = true;
  }
  return last.postgresql && !flow_sync_code_in_atomic_block(alias);
}

namespace {

// The rewrite of `?` to `$n` is a pure function of the text and the ORM repeats a few shapes of statements
// (compile_select caches them): remembered per thread, bounded.
std::string dollar_text(const std::string& sql) {
  thread_local std::unordered_map<std::string, std::string> rewritten;
  if (auto it = rewritten.find(sql); it != rewritten.end()) return it->second;
  auto text = postgresql::to_dollar_placeholders(sql);
  // Long statements (bulk_update's, one placeholder per value) are seldom repeated: not kept.
  if (sql.size() > 2048) return text;
  if (rewritten.size() >= 1024) rewritten.clear();
  rewritten.emplace(sql, text);
  return text;
}

}  // namespace

Task<postgresql::Result> async_run_sql(const std::string& alias, std::string& sql, std::vector<Value>& params,
                                       bool read) {
  auto text = dollar_text(sql);
  if (auto* tx = pinned_transaction(alias)) co_return co_await tx->query(std::move(text), std::move(params));
  auto executor = co_await asio::this_coro::executor;
  auto& pool = postgresql::loop_pool(executor, alias);
  // Two statements, not `co_await (read ? a : b)`: g++ 12 destroys the awaitable of such a conditional
  // twice.
  if (read) co_return co_await pool.read(std::move(text), std::move(params));
  co_return co_await pool.query(std::move(text), std::move(params));
}

namespace {

/// async_run() for a shape with a shared `$n` text (CompiledQuery::native_sql), from a caller that does not
/// pass its executor.
Task<postgresql::Result> async_run_shared(const std::string& alias, CompiledQuery& compiled, bool read) {
  auto executor = co_await asio::this_coro::executor;
  co_return co_await async_run(alias, compiled, read, executor);
}

}  // namespace

Task<postgresql::Result> async_run(const std::string& alias, CompiledQuery& compiled, bool read) {
  if (compiled.native_sql) return async_run_shared(alias, compiled, read);
  return async_run_sql(alias, compiled.sql, compiled.params, read);
}

Task<postgresql::Result> async_run(const std::string& alias, CompiledQuery& compiled, bool read,
                                   const Executor& executor, postgresql::RowsAs rows_as) {
  if (!compiled.native_sql) return async_run_sql(alias, compiled.sql, compiled.params, read);
  // The caller's flow is current (this runs inside its coroutine, before it suspends): its transaction, if
  // it pinned one, is found as in a coroutine of its own.
  if (auto* tx = pinned_transaction(alias))
    return tx->query(*compiled.native_sql, std::move(compiled.params));
  auto& pool = postgresql::loop_pool(executor, alias);
  if (read) return pool.read(std::move(compiled.native_sql), std::move(compiled.params), rows_as);
  return pool.query(std::move(compiled.native_sql), std::move(compiled.params));
}

void hydrate(const ModelMeta& meta, void* obj, ModelState& state, const postgresql::Result& result,
             std::size_t row, const SelectPlan& plan, const std::string& alias) {
  if (!result.raw) {
    hydrate(meta, obj, state, result.rows.at(row), plan, alias);
    return;
  }
  const auto& raw = result.raw;
  if (!plan.related.empty() || !plan.annotation_names.empty()) {
    // select_related() and annotate() read columns across the row: the general path over a Row.
    hydrate(meta, obj, state, raw.row(row), plan, alias);
    return;
  }
  // The common case (the model's own columns): each value decoded once, straight into its field; integers
  // and texts into the fields holding exactly those without a Value in between.
  const std::size_t columns = std::min(plan.base_columns, raw.columns());
  for (std::size_t i = 0; i < columns; ++i) {
    const FieldInfo& f = meta.fields[i];
    if (f.set_int) {
      std::int64_t v;
      if (raw.int_at(row, i, v)) {
        f.set_int(f.member(obj), v);
        continue;
      }
    } else if (f.set_text) {
      std::string_view v;
      if (raw.text_at(row, i, v)) {
        f.set_text(f.member(obj), v);
        continue;
      }
    }
    f.assign(obj, raw.value(row, i));
  }
  mark_loaded(state, alias);
}

CompiledQuery compile_save_insert(const ModelMeta& meta, void* obj) {
  stamp_auto_fields(meta, obj, true);
  CompiledQuery out;
  std::string cols;
  for (auto& f : meta.fields) {
    Value v = f.value_of(obj);
    if (f.is_auto() && v.is_null()) continue;
    if (v.is_null() && f.default_value) {
      f.assign(obj, *f.default_value);
      v = f.value_of(obj);
    }
    cols += (cols.empty() ? "" : ", ") + quote_name(f.column);
    out.params.push_back(std::move(v));
  }
  auto table = quote_name(meta.db_table);
  auto returning = quote_name(meta.pk().column);
  out.sql = out.params.empty() ? fmt::format("INSERT INTO {} DEFAULT VALUES RETURNING {}", table, returning)
                               : fmt::format("INSERT INTO {} ({}) VALUES ({}) RETURNING {}", table, cols,
                                             placeholder_list(out.params.size()), returning);
  return out;
}

void finish_insert(const ModelMeta& meta, void* obj, ModelState& state, const postgresql::Result& result,
                   const std::string& alias) {
  const FieldInfo& pk = meta.pk();
  if (!result.rows.empty() && !result.rows[0].empty()) pk.assign(obj, result.rows[0][0]);
  state.adding = false;
  state.db = alias;
}

Task<void> async_save(const ModelMeta& meta, void* obj, ModelState& state, const std::string& alias,
                      bool force_insert, const std::vector<std::string>& update_fields) {
  check_save_options(meta, obj, force_insert, update_fields);
  if (!force_insert && !meta.pk().value_of(obj).is_null()) {
    auto update = compile_save_update(meta, obj, state, update_fields);
    std::int64_t n = 1;
    if (update) n = (co_await async_run(alias, *update)).rows_affected;
    if (!update_fields.empty() && n == 0)
      throw DatabaseError("Save with update_fields did not affect any rows.");
    if (n > 0) {
      state.adding = false;
      state.db = alias;
      co_return;
    }
  }
  auto insert = compile_save_insert(meta, obj);
  auto result = co_await async_run(alias, insert);
  finish_insert(meta, obj, state, result, alias);
}

namespace {

// One UPDATE for a batch of rows, as Django's bulk_update: SET col = CASE WHEN pk = ? THEN ? ... ELSE col END
// WHERE pk IN (...). The ELSE branch gives the CASE the column's type, so the text parameters need no casts.
CompiledQuery compile_bulk_update(const ModelMeta& meta, const void* const* objs, std::size_t n,
                                  const std::vector<const FieldInfo*>& fs) {
  const FieldInfo& pk = meta.pk();
  auto pk_col = quote_name(pk.column);
  CompiledQuery q;
  std::string sets;
  for (auto* f : fs) {
    auto col = quote_name(f->column);
    std::string cases;
    for (std::size_t i = 0; i < n; ++i) {
      Value id = pk.value_of(objs[i]);
      if (id.is_null()) throw ValueError("All bulk_update() objects must have a primary key set.");
      cases += " WHEN " + pk_col + " = ? THEN ?";
      q.params.push_back(std::move(id));
      q.params.push_back(f->value_of(objs[i]));
    }
    sets += (sets.empty() ? "" : ", ") + col + " = CASE" + cases + " ELSE " + col + " END";
  }
  std::string in;
  for (std::size_t i = 0; i < n; ++i) {
    in += in.empty() ? "?" : ", ?";
    q.params.push_back(pk.value_of(objs[i]));
  }
  q.sql = fmt::format("UPDATE {} SET {} WHERE {} IN ({})", quote_name(meta.db_table), sets, pk_col, in);
  return q;
}

}  // namespace

Task<std::int64_t> async_update_many(const ModelMeta& meta, const std::vector<const void*>& objs,
                                     const std::vector<std::string>& fields, const std::string& alias,
                                     std::size_t batch_size) {
  if (fields.empty()) throw ValueError("Field names must be given to bulk_update().");
  std::vector<const FieldInfo*> fs;
  for (auto& name : fields) {
    const FieldInfo* f = meta.find_field(name);
    if (!f) throw FieldError(fmt::format("{} has no field named '{}'", meta.object_name, name));
    if (f->primary_key) throw ValueError("bulk_update() cannot be used with primary key fields.");
    fs.push_back(f);
  }
  if (objs.empty()) co_return 0;
  // PostgreSQL binds at most 65535 parameters per statement; each row takes 2 per field plus 1.
  std::size_t per = std::max<std::size_t>(
      1, std::min(batch_size ? batch_size : 500, std::size_t{60000} / (2 * fs.size() + 1)));
  if (objs.size() <= per) {
    auto q = compile_bulk_update(meta, objs.data(), objs.size(), fs);
    co_return (co_await async_run(alias, q)).rows_affected;
  }
  // Several statements: one transaction (the flow's own when it has one), as Django's atomic bulk_update.
  std::int64_t n = 0;
  if (pinned_transaction(alias)) {
    for (std::size_t start = 0; start < objs.size(); start += per) {
      auto q = compile_bulk_update(meta, objs.data() + start, std::min(per, objs.size() - start), fs);
      n += (co_await async_run(alias, q)).rows_affected;
    }
    co_return n;
  }
  auto executor = co_await asio::this_coro::executor;
  auto tx = co_await postgresql::loop_pool(executor, alias).begin();
  for (std::size_t start = 0; start < objs.size(); start += per) {
    auto q = compile_bulk_update(meta, objs.data() + start, std::min(per, objs.size() - start), fs);
    auto sql = postgresql::to_dollar_placeholders(q.sql);
    n += (co_await tx.query(std::move(sql), std::move(q.params))).rows_affected;
  }
  co_await tx.commit();
  co_return n;
}

}  // namespace duet::db::detail
