// Query: the type-erased state behind a QuerySet, and the operations that compile and run it. QuerySet<T>
// is a thin typed layer over this; all SQL generation lives in src/db/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "duet/db/connection.hpp"
#include "duet/db/models/expressions.hpp"
#include "duet/db/models/meta.hpp"
#include "duet/db/settings.hpp"

namespace duet::db {

/// Per-instance bookkeeping, Django's `instance._state`.
struct ModelState {
  /// True until the instance is saved to or loaded from the database.
  bool adding = true;
  /// The alias it was loaded from or saved to.
  std::string db;
  /// annotate() values, by name.
  std::vector<std::pair<std::string, Value>> annotations;
  /// prefetch_related() results by relation name ("tags", "books"): a std::vector<Related> each, shared
  /// between copies of the instance. Mutable: reading a relation through a const instance may drop it.
  mutable std::vector<std::pair<std::string, std::shared_ptr<const void>>> prefetched;

  std::shared_ptr<const void> find_prefetched(std::string_view name) const noexcept {
    for (auto& [n, p] : prefetched) {
      if (n == name) return p;
    }
    return nullptr;
  }
  void set_prefetched(std::string name, std::shared_ptr<const void> objects) const {
    for (auto& [n, p] : prefetched) {
      if (n == name) {
        p = std::move(objects);
        return;
      }
    }
    prefetched.emplace_back(std::move(name), std::move(objects));
  }
  void clear_prefetched(std::string_view name) const {
    std::erase_if(prefetched, [&](auto& e) { return e.first == name; });
  }
};

/// What delete() removed: the total and the count per model label ("blog.Book"), as Django returns.
struct DeleteResult {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> per_model;
};

class Query {
 public:
  explicit Query(const ModelMeta& model) : model(&model) {}

  const ModelMeta* model;
  std::string alias = std::string(DEFAULT_DB_ALIAS);
  Q where;
  std::vector<OrderBy> order_by;
  bool ordering_set = false;  // order_by() was called (even with nothing: no ordering at all)
  bool reversed = false;
  bool distinct = false;
  std::int64_t low_mark = 0;
  std::optional<std::int64_t> high_mark;
  std::vector<std::string> select_related;
  std::vector<std::string> prefetch_related;
  std::vector<NamedExpr> annotations;

  /// Adds a condition (negated for exclude), checking every name in it now: a bad field name throws
  /// FieldError here, at query construction, naming the model and the valid choices.
  void add_q(const Q& q, bool negate);
  void add_ordering(std::vector<OrderBy> order);
  void add_select_related(std::vector<std::string> paths);
  /// Checks every step of each path now (FieldError naming the choices); empty clears, as Django's None.
  void add_prefetch_related(std::vector<std::string> paths);
  void add_annotations(std::vector<NamedExpr> exprs);
  /// Python slice semantics over the current window: [start, stop). Negative indices are refused as Django
  /// does.
  void set_limits(std::int64_t start, std::optional<std::int64_t> stop);
  bool is_sliced() const noexcept { return low_mark != 0 || high_mark.has_value(); }
};

/// How the columns of a selected row map onto objects (the base model, then each select_related model).
struct SelectPlan {
  struct Related {
    std::string path;        // "author__publisher"
    const FieldInfo* field;  // the key followed, on the parent object
    int parent;              // index of the parent in `related`, or -1 for the base object
    const ModelMeta* meta;   // the model the key points to
    std::size_t first_column;
  };
  std::size_t base_columns = 0;
  std::vector<Related> related;
  std::vector<std::string> annotation_names;
  std::size_t first_annotation = 0;
};

struct CompiledQuery {
  std::string sql;
  std::vector<Value> params;
  SelectPlan plan;
  /// `sql` with PostgreSQL's `$n` placeholders, when a cached shape on a PostgreSQL alias provided it: one
  /// text shared by every query of that shape, which the async driver looks up by address (no rewrite, copy
  /// or hash of the text per query). Null otherwise.
  std::shared_ptr<const std::string> native_sql;
};

namespace detail {

CompiledQuery compile_select(const Query& q);
/// compile_select() of `q` sliced to [low, high) (as QuerySet::slice() on an unsliced `q`), without copying
/// `q` when its shape was compiled before: get() limits every query it runs this way.
CompiledQuery compile_select_window(const Query& q, std::int64_t low, std::int64_t high);
/// values()/values_list(): the named fields (paths across keys allowed) and annotations; none = every
/// concrete field by attname.
CompiledQuery compile_values(const Query& q, const std::vector<std::string>& fields,
                             std::vector<std::string>& names);

/// The statements of count(), exists(), aggregate() and update(), compiled without running them (the async
/// path runs them on the loop's PostgreSQL pool). exists() returns a row when anything matched.
CompiledQuery compile_count(const Query& q);
CompiledQuery compile_exists(const Query& q);
CompiledQuery compile_aggregate(const Query& q, const std::vector<NamedExpr>& exprs);
CompiledQuery compile_update(const Query& q, const std::vector<NamedExpr>& values);

/// Runs the select and calls `on_row` per row (no buffering).
void run_select(const Query& q, const std::function<void(const Row&, const SelectPlan&)>& on_row);
/// Fills the object at `obj` (a model of `meta`) and its select_related objects from a row.
void hydrate(const ModelMeta& meta, void* obj, ModelState& state, const Row& row, const SelectPlan& plan,
             const std::string& alias);

/// prefetch_related(): one query per relation (per 500 instances) for `objs`, instances of `meta`, whose
/// results are stored in each instance's ModelState (and the caches of forward keys).
void prefetch_related_objects(const ModelMeta& meta, const std::vector<void*>& objs,
                              const std::vector<std::string>& lookups, const std::string& alias);

/// A cursor over the select, for iterator()/aiterator(); use it on the thread that opened it.
std::unique_ptr<Cursor> open_cursor(const Query& q, SelectPlan& plan);

std::int64_t run_count(const Query& q);
bool run_exists(const Query& q);
std::map<std::string, Value> run_aggregate(const Query& q, const std::vector<NamedExpr>& exprs);
std::int64_t run_update(const Query& q, const std::vector<NamedExpr>& values);
DeleteResult run_delete(const Query& q);
std::vector<Row> run_values(const Query& q, const std::vector<std::string>& fields,
                            std::vector<std::string>* names);

// Instances.
void save_object(const ModelMeta& meta, void* obj, ModelState& state, std::string_view alias,
                 bool force_insert, const std::vector<std::string>& update_fields);
DeleteResult delete_object(const ModelMeta& meta, const void* obj, ModelState& state, std::string_view alias);
/// Reloads every field; false when the row is gone.
bool refresh_object(const ModelMeta& meta, void* obj, ModelState& state, std::string_view alias);
void full_clean_object(const ModelMeta& meta, const void* obj, std::string_view alias);
/// Sets a field by name from a value (create(), get_or_create() defaults); FieldError names the choices.
void set_field(const ModelMeta& meta, void* obj, std::string_view name, const Value& v);
/// bulk_create: one multi-row INSERT per batch; sets the primary keys (SQLite's RETURNING).
void insert_many(const ModelMeta& meta, const std::vector<void*>& objs, std::vector<ModelState*>& states,
                 std::string_view alias, std::size_t batch_size);
std::int64_t update_many(const ModelMeta& meta, const std::vector<const void*>& objs,
                         const std::vector<std::string>& fields, std::string_view alias,
                         std::size_t batch_size);

/// True when `q`'s condition pins its primary key or a unique field to a value (not NULL) and joins no
/// other table's rows: at most one row can match, so get() sends it without Django's LIMIT 21.
bool matches_at_most_one_row(const Query& q);

/// The message of get()'s errors: "Book matching query does not exist."
std::string does_not_exist_message(const ModelMeta& meta);
std::string multiple_returned_message(const ModelMeta& meta, std::int64_t n);

}  // namespace detail
}  // namespace duet::db
