// The compiled SQL of a query depends only on its shape (model, alias, lookups, ordering, slicing), not on
// the values it compares with: TechEmpower's `World.objects.filter(id=n).get()` compiles to the same text for
// every n. These caches keep, per thread, the checks and the SQL of the shapes seen, so a repeated query only
// collects its values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "duet/db/models/query.hpp"
#include "operations.hpp"

namespace duet::db::detail {

/// Appends the shape of a condition to `key`; false when it is not cacheable (expressions, NULL values,
/// lookups whose parameters are derived from the value such as `contains`).
bool append_shape(const Q::Node& n, std::string& key);
/// The parameters of a cacheable condition, in the order the compiler binds them.
void append_params(const Q::Node& n, std::vector<Value>& params);

/// The LIMIT/OFFSET window a select is compiled with, when not the query's own (compile_select_window).
struct Window {
  std::int64_t low_mark = 0;
  std::optional<std::int64_t> high_mark;
};

/// The shape of a whole select (compile_select), or false when it is not cacheable (annotations). `window`:
/// the limits to compile with instead of the query's.
bool select_shape(const Query& q, std::string& key, const Window* window = nullptr);

/// Query::add_q's eager check of `added` on `model` (no annotations) passed before for this shape.
bool shape_checked(const std::string& key);
void remember_checked(std::string key);

/// A cached compile_select() result: SQL and plan (the parameters are collected anew), and the vendor it
/// was compiled for (the alias is part of the shape).
struct CachedSelect {
  CompiledQuery compiled;
  Vendor vendor;
  /// How many parameters a query of this shape binds (the shape fixes it): reserved at once.
  std::size_t param_count = 0;
};
const CachedSelect* cached_select(const std::string& key);
/// Returns the entry kept (valid until the next call that remembers a select).
const CachedSelect* remember_select(std::string key, const CompiledQuery& compiled, Vendor vendor);

// The common shapes (no ordering, select_related or annotations; at most one condition comparing a field
// with a value: `World.objects.filter(id=n).get()`) are also found without building their key: their parts
// are compared in place with the few remembered. Each entry stands for the key the general path built for
// it, so a hit is the hit that path would have had.

/// The cached select of `q`'s shape with `window`, when it is a simple shape seen before on this thread.
const CachedSelect* cached_simple_select(const Query& q, const Window* window);
/// Remembers `entry` (from cached_select() or remember_select() for `q`'s key) for cached_simple_select().
void remember_simple_select(const Query& q, const Window* window, const CachedSelect* entry);
/// get()'s cached select of `q` (unsliced, a simple shape seen before on this thread) when get()'s verdict
/// on the shape (matches_at_most_one_row) was remembered with it: the entry compiled with the window get()
/// runs it with; `limited` says whether that is get()'s [0:21] (the shape may match several rows).
const CachedSelect* cached_simple_get(const Query& q, bool& limited);
/// Remembers get()'s verdict `one_row` on `q`'s shape with its simple entry for `window` (what get() then
/// compiles: none when one row at most can match), if that entry is in the table.
void remember_simple_get(const Query& q, const Window* window, bool one_row);
/// shape_checked() and remember_checked() of a single condition comparing a field with a value, on a model.
bool simple_checked(const ModelMeta* model, const Q::Node& n);
void remember_simple_checked(const ModelMeta* model, const Q::Node& n);

}  // namespace duet::db::detail
