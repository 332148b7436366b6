// Query building (with eager checks) and running: select, count, exists, aggregate, update, values.
#include "duet/db/models/query.hpp"

#include <fmt/format.h>

#include "backends/postgresql/placeholders.hpp"
#include "compiler.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "hydrate_fields.hpp"
#include "shape_cache.hpp"

namespace duet::db {

namespace {
void check_not_sliced(const Query& q, const char* what) {
  if (q.is_sliced()) throw TypeError(fmt::format("Cannot {} a query once a slice has been taken.", what));
}
}  // namespace

void Query::add_q(const Q& q, bool negate) {
  if (q.empty()) return;
  check_not_sliced(*this, "filter");
  Q inverted;  // only for exclude(): filter() adds `q` itself, without a copy
  if (negate) inverted = ~q;
  const Q& added = negate ? inverted : q;
  // Compile the new condition alone now, so a bad name fails here and not when the query runs. A shape
  // that passed before (on this thread) passes again: only names and lookups are checked, never values.
  if (annotations.empty() && detail::simple_checked(model, *added.node())) {
    // The first condition is the whole tree: no combine() (its copy and the temporary it returns).
    if (where.empty()) {
      where = added;
    } else {
      where = where & added;
    }
    return;
  }
  thread_local std::string key;  // reused: no allocation per filter() once it has grown
  key.clear();
  bool cacheable = annotations.empty();
  if (cacheable) {
    key.push_back('F');
    key.append(reinterpret_cast<const char*>(&model), sizeof model);
    cacheable = detail::append_shape(*added.node(), key);
  }
  if (!cacheable || !detail::shape_checked(key)) {
    std::string shape = cacheable ? key : std::string();  // `key` is the thread's scratch
    Query probe(*model);
    probe.annotations = annotations;
    probe.where = added;
    detail::Compiler c(probe);
    std::string w, h;
    c.where_having(w, h);
    if (cacheable) detail::remember_checked(std::move(shape));
  }
  if (cacheable) detail::remember_simple_checked(model, *added.node());
  where = where & added;
}

void Query::add_ordering(std::vector<OrderBy> order) {
  check_not_sliced(*this, "reorder");
  Query probe(*model);
  probe.annotations = annotations;
  probe.order_by = order;
  probe.ordering_set = true;
  detail::Compiler(probe).order_by_clause(true);
  order_by = std::move(order);
  ordering_set = true;
}

void Query::add_select_related(std::vector<std::string> paths) {
  for (auto& p : paths) {
    // Every step must be a forward key.
    const ModelMeta* cur = model;
    std::size_t start = 0;
    while (true) {
      auto pos = p.find("__", start);
      auto name =
          std::string_view(p).substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      const FieldInfo* f = cur->find_field(name);
      if (!f || !f->is_relation()) {
        std::string choices;
        for (auto& g : cur->fields) {
          if (g.is_relation()) choices += (choices.empty() ? "" : ", ") + g.name;
        }
        throw FieldError(fmt::format("Invalid field name(s) given in select_related: '{}'. Choices are: {}",
                                     name, choices.empty() ? "(none)" : choices));
      }
      cur = &f->related_model();
      if (pos == std::string::npos) break;
      start = pos + 2;
    }
    if (std::find(select_related.begin(), select_related.end(), p) == select_related.end())
      select_related.push_back(p);
  }
}

void Query::add_annotations(std::vector<NamedExpr> exprs) {
  for (auto& [name, e] : exprs) {
    if (model->find_field(name)) {
      throw ValueError(fmt::format("The annotation '{}' conflicts with a field on the model.", name));
    }
    Query probe(*this);
    probe.annotations.emplace_back(name, e);
    detail::Compiler(probe).compile_expr(e);
    annotations.emplace_back(std::move(name), std::move(e));
  }
}

void Query::set_limits(std::int64_t start, std::optional<std::int64_t> stop) {
  if (start < 0 || (stop && *stop < 0)) throw ValueError("Negative indexing is not supported.");
  std::int64_t low = low_mark + start;
  std::optional<std::int64_t> high;
  if (stop) high = low_mark + std::max(*stop, start);
  if (high_mark) {
    low = std::min(low, *high_mark);
    high = high ? std::min(*high, *high_mark) : *high_mark;
  }
  low_mark = low;
  high_mark = high;
}

namespace detail {

namespace {

bool has_aggregate_annotation(const Query& q) {
  for (auto& [_, e] : q.annotations) {
    if (e.contains_aggregate()) return true;
  }
  return false;
}

// The SELECT list (model columns, select_related columns, annotations) of a model query.
std::string select_list(Compiler& c, const Query& q, SelectPlan& plan, std::string& group_by) {
  const ModelMeta& meta = *q.model;
  std::string cols = c.columns_of(meta, c.base_alias());
  std::size_t ncols = meta.fields.size();
  plan.base_columns = ncols;
  std::vector<std::string> pk_cols{c.base_alias() + "." + quote_name(meta.pk().column)};
  for (auto& full : q.select_related) {
    // Each prefix ("author" of "author__publisher") is joined and selected once.
    int parent = -1;
    std::string alias = c.base_alias();
    const ModelMeta* cur = &meta;
    bool nullable = false;
    std::size_t start = 0;
    while (true) {
      auto pos = full.find("__", start);
      std::string prefix = full.substr(0, pos);
      auto name = full.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      const FieldInfo* f = cur->find_field(name);
      const ModelMeta& target = f->related_model();
      nullable = nullable || f->null;
      alias = c.join(alias, f->column, target, target.pk().column, nullable, alias + "." + f->name);
      int found = -1;
      for (std::size_t i = 0; i < plan.related.size(); ++i) {
        if (plan.related[i].path == prefix) found = static_cast<int>(i);
      }
      if (found < 0) {
        plan.related.push_back({prefix, f, parent, &target, ncols});
        cols += ", " + c.columns_of(target, alias);
        ncols += target.fields.size();
        pk_cols.push_back(alias + "." + quote_name(target.pk().column));
        found = static_cast<int>(plan.related.size() - 1);
      }
      parent = found;
      cur = &target;
      if (pos == std::string::npos) break;
      start = pos + 2;
    }
  }
  plan.first_annotation = ncols;
  for (auto& [name, e] : q.annotations) {
    cols += ", " + c.compile_expr(e) + " AS " + quote_name(name);
    plan.annotation_names.push_back(name);
  }
  if (has_aggregate_annotation(q)) {
    for (auto& p : pk_cols)
      group_by += (group_by.empty() ? "" : ", ") + p;
  }
  return cols;
}

std::string assemble(const Query& q, Compiler& c, const std::string& cols, std::vector<Value> select_params,
                     std::string group_by, bool with_order) {
  c.params.clear();
  std::string where, having;
  c.where_having(where, having);
  auto where_params = std::move(c.params);
  c.params.clear();
  std::string order = with_order ? c.order_by_clause(true) : std::string();
  std::string limit = c.limit_clause();
  auto limit_params = std::move(c.params);
  std::string sql =
      std::string("SELECT ") + (q.distinct ? "DISTINCT " : "") + cols + " FROM " + c.from_clause();
  if (!where.empty()) sql += " WHERE " + where;
  if (!group_by.empty()) sql += " GROUP BY " + group_by;
  if (!having.empty()) sql += " HAVING " + having;
  if (!order.empty()) sql += " ORDER BY " + order;
  sql += limit;
  c.params = std::move(select_params);
  c.params.insert(c.params.end(), where_params.begin(), where_params.end());
  c.params.insert(c.params.end(), limit_params.begin(), limit_params.end());
  return sql;
}

}  // namespace

static CompiledQuery compile_select_uncached(const Query& q);

namespace {

/// compile_select, with `window`'s limits instead of q's when given (q is then unsliced). `native`: for the
/// async PostgreSQL path, which only reads native_sql: a cached shape's `?` text is not copied.
/// The query of a cached shape: its SQL and plan copied, `q`'s parameters collected (see compile_select_in).
CompiledQuery from_cache(const CachedSelect* hit, const Query& q, const Window* window, bool native) {
  const std::int64_t low = window ? window->low_mark : q.low_mark;
  const std::optional<std::int64_t>& high = window ? window->high_mark : q.high_mark;
  const CompiledQuery& cached = hit->compiled;
  CompiledQuery out;
  if (!native || !cached.native_sql) out.sql = cached.sql;
  // Most plans are a column count alone: their empty vectors are not copy-assigned.
  out.plan.base_columns = cached.plan.base_columns;
  out.plan.first_annotation = cached.plan.first_annotation;
  if (!cached.plan.related.empty()) out.plan.related = cached.plan.related;
  if (!cached.plan.annotation_names.empty()) out.plan.annotation_names = cached.plan.annotation_names;
  out.native_sql = cached.native_sql;
  out.params.reserve(hit->param_count);  // one allocation, not one per value pushed
  if (auto& root = q.where.node()) append_params(*root, out.params);
  if (low != 0 || high) Operations(hit->vendor).limit_params(low, high, out.params);
  return out;
}

CompiledQuery compile_select_in(const Query& q, const Window* window, bool native = false) {
  if (const CachedSelect* hit = cached_simple_select(q, window)) return from_cache(hit, q, window, native);
  thread_local std::string key;  // reused: no allocation per query once it has grown
  key.clear();
  bool cacheable = select_shape(q, key, window);
  if (cacheable) {
    if (const CachedSelect* hit = cached_select(key)) {
      remember_simple_select(q, window, hit);
      return from_cache(hit, q, window, native);
    }
  }
  std::string shape =
      cacheable ? key : std::string();  // `key` is the thread's scratch: kept over the compile
  CompiledQuery out;
  if (window) {
    Query limited(q);
    limited.set_limits(window->low_mark, window->high_mark);
    out = compile_select_uncached(limited);
  } else {
    out = compile_select_uncached(q);
  }
  if (cacheable) {
    auto vendor = vendor_for(q.alias);
    // Every later query of this shape shares the PostgreSQL text, rewritten once here.
    if (vendor == Vendor::postgresql)
      out.native_sql = std::make_shared<const std::string>(postgresql::to_dollar_placeholders(out.sql));
    remember_simple_select(q, window, remember_select(std::move(shape), out, vendor));
  }
  return out;
}

}  // namespace

CompiledQuery compile_select(const Query& q) {
  return compile_select_in(q, nullptr);
}

CompiledQuery compile_select_window(const Query& q, std::int64_t low, std::int64_t high) {
  if (q.is_sliced()) {
    Query limited(q);
    limited.set_limits(low, high);
    return compile_select_in(limited, nullptr);
  }
  Window window{low, high};
  return compile_select_in(q, &window);
}

CompiledQuery compile_select_native(const Query& q, bool windowed, std::int64_t low, std::int64_t high) {
  if (!windowed) return compile_select_in(q, nullptr, true);
  if (q.is_sliced()) return compile_select_window(q, low, high);
  Window window{low, high};
  return compile_select_in(q, &window, true);
}

CompiledQuery compile_get_native(const Query& q) {
  if (q.is_sliced()) return compile_select_in(q, nullptr, true);
  // Two rows tell "one" from "several"; Django fetches up to 21 to report how many.
  static constexpr Window get_window{0, 21};
  bool limited = false;
  if (const CachedSelect* hit = cached_simple_get(q, limited))
    return from_cache(hit, q, limited ? &get_window : nullptr, true);
  const bool one_row = matches_at_most_one_row(q);
  const Window* window = one_row ? nullptr : &get_window;
  CompiledQuery out = compile_select_in(q, window, true);
  remember_simple_get(q, window, one_row);
  return out;
}

static CompiledQuery compile_select_uncached(const Query& q) {
  Compiler c(q);
  CompiledQuery out;
  std::string group_by;
  std::string cols = select_list(c, q, out.plan, group_by);
  auto select_params = std::move(c.params);
  out.sql = assemble(q, c, cols, std::move(select_params), group_by, true);
  out.params = std::move(c.params);
  return out;
}

CompiledQuery compile_values(const Query& q, const std::vector<std::string>& fields,
                             std::vector<std::string>& names) {
  Compiler c(q);
  CompiledQuery out;
  std::string cols;
  std::vector<std::string> group_items;
  bool any_aggregate = false;
  auto add = [&](const std::string& name, const std::string& sql, bool aggregate, bool alias) {
    cols += (cols.empty() ? "" : ", ") + sql + (alias ? " AS " + quote_name(name) : "");
    names.push_back(name);
    if (aggregate) {
      any_aggregate = true;
    } else {
      group_items.push_back(sql);
    }
  };
  if (fields.empty()) {
    for (auto& f : q.model->fields)
      add(f.attname, c.base_alias() + "." + quote_name(f.column), false, false);
    for (auto& [name, e] : q.annotations)
      add(name, c.compile_expr(e), e.contains_aggregate(), true);
  } else {
    for (auto& name : fields) {
      bool aggregate = false;
      std::string sql = c.annotation_sql(name, &aggregate);
      bool is_annotation = !sql.empty();
      if (!is_annotation) {
        std::vector<std::string> transforms;
        auto col = c.resolve(name, false, &transforms, nullptr);
        sql = col.sql;
        for (auto& t : transforms)
          sql = c.transform(t, sql);
      }
      add(name, sql, aggregate, is_annotation);
    }
  }
  std::string group_by;
  if (any_aggregate) {
    // A non-aggregate expression repeated in GROUP BY would need its parameters twice: only columns group.
    for (auto& g : group_items)
      group_by += (group_by.empty() ? "" : ", ") + g;
  } else if (has_aggregate_annotation(q)) {
    // An aggregate annotation that is not selected (ordered by): still one row per object, as annotate()
    // made them, so group by the key too (PostgreSQL requires it; SQLite would collapse to one row).
    group_by = c.base_alias() + "." + quote_name(q.model->pk().column);
    for (auto& g : group_items)
      group_by += ", " + g;
  }
  auto select_params = std::move(c.params);
  out.sql = assemble(q, c, cols, std::move(select_params), group_by, true);
  out.params = std::move(c.params);
  return out;
}

void run_select(const Query& q, const std::function<void(const Row&, const SelectPlan&)>& on_row) {
  auto compiled = compile_select(q);
  connections[q.alias].for_each(compiled.sql, compiled.params,
                                [&](const Row& row) { on_row(row, compiled.plan); });
}

std::unique_ptr<Cursor> open_cursor(const Query& q, SelectPlan& plan) {
  auto compiled = compile_select(q);
  plan = compiled.plan;
  return connections[q.alias].cursor(compiled.sql, compiled.params);
}

void hydrate(const ModelMeta& meta, void* obj, ModelState& state, const Row& row, const SelectPlan& plan,
             const std::string& alias) {
  hydrate_own_fields(
      meta, obj, state, std::min(plan.base_columns, row.size()),
      [&row](std::size_t i) -> const Value& { return row[i]; }, alias);
  for (std::size_t k = 0; k < plan.annotation_names.size(); ++k) {
    state.annotations.emplace_back(plan.annotation_names[k], row.at(plan.first_annotation + k));
  }
  if (plan.related.empty()) return;
  std::vector<void*> objects(plan.related.size(), nullptr);
  for (std::size_t r = 0; r < plan.related.size(); ++r) {
    auto& rel = plan.related[r];
    void* parent = rel.parent < 0 ? obj : objects[rel.parent];
    if (!parent) continue;  // the parent's key was NULL
    std::size_t pk_col = rel.first_column + rel.meta->pk_index;
    if (row.at(pk_col).is_null()) continue;  // a NULL key: nothing to attach
    void* target = rel.field->make_related(rel.field->member(parent));
    for (std::size_t i = 0; i < rel.meta->fields.size(); ++i) {
      rel.meta->fields[i].assign(target, row.at(rel.first_column + i));
    }
    auto& st = *reinterpret_cast<ModelState*>(static_cast<char*>(target) + rel.meta->state_offset);
    st.adding = false;
    st.db = alias;
    objects[r] = target;
  }
}

CompiledQuery compile_count(const Query& q) {
  Query inner(q);
  inner.ordering_set = true;
  inner.order_by.clear();
  CompiledQuery out;
  if (q.distinct || q.is_sliced() || has_aggregate_annotation(q)) {
    auto compiled = compile_select(inner);
    out.sql = "SELECT COUNT(*) FROM (" + compiled.sql + ") subquery";
    out.params = std::move(compiled.params);
    return out;
  }
  Compiler c(inner);
  out.sql = assemble(inner, c, "COUNT(*)", {}, {}, false);
  out.params = std::move(c.params);
  return out;
}

CompiledQuery compile_exists(const Query& q) {
  if (q.is_sliced() || has_aggregate_annotation(q)) {
    // The window (or the grouping) must apply before asking for one row of it.
    Query inner(q);
    inner.ordering_set = true;
    inner.order_by.clear();
    auto compiled = compile_select(inner);
    compiled.sql = "SELECT 1 AS \"a\" FROM (" + compiled.sql + ") subquery LIMIT 1";
    return compiled;
  }
  Query inner(q);
  inner.ordering_set = true;
  inner.order_by.clear();
  inner.set_limits(0, 1);
  Compiler c(inner);
  CompiledQuery out;
  out.sql = assemble(inner, c, "1 AS \"a\"", {}, {}, false);
  out.params = std::move(c.params);
  return out;
}

CompiledQuery compile_aggregate(const Query& q, const std::vector<NamedExpr>& exprs) {
  for (auto& [name, e] : exprs) {
    if (!e.contains_aggregate())
      throw TypeError(fmt::format("aggregate(): '{}' is not an aggregate expression", name));
  }
  Query inner(q);
  inner.ordering_set = true;
  inner.order_by.clear();
  if (q.is_sliced() || q.distinct || has_aggregate_annotation(q)) {
    throw NotSupportedError("aggregate() over a sliced, distinct or annotated QuerySet is not supported yet");
  }
  Compiler c(inner);
  std::string cols;
  for (auto& [name, e] : exprs)
    cols += (cols.empty() ? "" : ", ") + c.compile_expr(e) + " AS " + quote_name(name);
  auto select_params = std::move(c.params);
  CompiledQuery out;
  out.sql = assemble(inner, c, cols, std::move(select_params), {}, false);
  out.params = std::move(c.params);
  return out;
}

CompiledQuery compile_update(const Query& q, const std::vector<NamedExpr>& values) {
  check_not_sliced(q, "update");
  const ModelMeta& meta = *q.model;
  Compiler c(q);
  std::string sets;
  for (auto& [name, e] : values) {
    const FieldInfo* f = meta.find_field(name);
    if (!f) {
      throw FieldError(
          fmt::format("Cannot resolve keyword '{}' into field. Choices are: {}", name, meta.field_choices()));
    }
    if (e.contains_aggregate()) throw FieldError("Aggregate functions are not allowed in this query");
    sets += (sets.empty() ? "" : ", ") + quote_name(f->column) + " = " + c.compile_expr(e);
  }
  auto set_params = std::move(c.params);
  c.params.clear();
  std::string where, having;
  c.where_having(where, having);
  std::string from = c.from_clause();
  std::string table = quote_name(meta.db_table);
  CompiledQuery out;
  out.sql = "UPDATE " + table + " SET " + sets;
  if (!where.empty()) {
    if (from == table) {
      out.sql += " WHERE " + where;
    } else {
      auto pk = table + "." + quote_name(meta.pk().column);
      out.sql += " WHERE " + pk + " IN (SELECT " + pk + " FROM " + from + " WHERE " + where + ")";
    }
  }
  set_params.insert(set_params.end(), c.params.begin(), c.params.end());
  out.params = std::move(set_params);
  return out;
}

std::int64_t run_count(const Query& q) {
  auto compiled = compile_count(q);
  auto rows = connections[q.alias].query(compiled.sql, compiled.params);
  return rows.at(0).at(0).as_int();
}

bool run_exists(const Query& q) {
  auto compiled = compile_exists(q);
  return !connections[q.alias].query(compiled.sql, compiled.params).empty();
}

std::map<std::string, Value> run_aggregate(const Query& q, const std::vector<NamedExpr>& exprs) {
  if (exprs.empty()) return {};
  auto compiled = compile_aggregate(q, exprs);
  auto rows = connections[q.alias].query(compiled.sql, compiled.params);
  std::map<std::string, Value> out;
  for (std::size_t i = 0; i < exprs.size(); ++i)
    out.emplace(exprs[i].first, rows.at(0).at(i));
  return out;
}

std::int64_t run_update(const Query& q, const std::vector<NamedExpr>& values) {
  check_not_sliced(q, "update");
  if (values.empty()) return 0;
  auto compiled = compile_update(q, values);
  return connections[q.alias].execute(compiled.sql, compiled.params);
}

std::vector<Row> run_values(const Query& q, const std::vector<std::string>& fields,
                            std::vector<std::string>* names) {
  std::vector<std::string> n;
  auto compiled = compile_values(q, fields, n);
  if (names) *names = std::move(n);
  return connections[q.alias].query(compiled.sql, compiled.params);
}

std::string does_not_exist_message(const ModelMeta& meta) {
  return meta.object_name + " matching query does not exist.";
}

std::string multiple_returned_message(const ModelMeta& meta, std::int64_t n) {
  return fmt::format("get() returned more than one {} -- it returned {}{}!", meta.object_name,
                     n > 20 ? "more than " : "", n > 20 ? 20 : n);
}

}  // namespace detail
}  // namespace duet::db
