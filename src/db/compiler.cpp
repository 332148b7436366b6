#include "compiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"

namespace duet::db::detail {

namespace {

constexpr std::array<std::string_view, 17> kLookups = {
    "exact",      "iexact",      "contains", "icontains", "in",    "gt",     "gte",   "lt",    "lte",
    "startswith", "istartswith", "endswith", "iendswith", "range", "isnull", "regex", "iregex"};
constexpr std::array<std::string_view, 8> kTransforms = {"year", "month",  "day",    "week_day",
                                                         "hour", "minute", "second", "date"};

bool is_lookup(std::string_view s) {
  return std::find(kLookups.begin(), kLookups.end(), s) != kLookups.end();
}
bool is_transform(std::string_view s) {
  return std::find(kTransforms.begin(), kTransforms.end(), s) != kTransforms.end();
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = path.find("__", start);
    parts.push_back(path.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 2;
  }
  return parts;
}

}  // namespace

std::string Compiler::quote_alias(std::size_t i) const {
  return i == 0 ? quote_name(meta_.db_table) : quote_name(joins_.at(i - 1).alias);
}

std::string Compiler::from_clause() const {
  std::string out = quote_name(meta_.db_table);
  for (auto& j : joins_)
    out += j.sql;
  return out;
}

std::string Compiler::join(const std::string& parent, const std::string& parent_col, const ModelMeta& target,
                           const std::string& target_col, bool left, const std::string& key) {
  return join_table(parent, parent_col, target.db_table, target_col, left, key);
}

std::string Compiler::join_table(const std::string& parent, const std::string& parent_col,
                                 const std::string& table, const std::string& target_col, bool left,
                                 const std::string& key) {
  for (auto& j : joins_) {
    if (j.key == key) return quote_name(j.alias);
  }
  bool used = table == meta_.db_table;
  for (auto& j : joins_)
    used = used || j.alias == table;
  std::string alias = used ? fmt::format("T{}", joins_.size() + 1) : table;
  std::string sql = fmt::format(" {} {}{} ON ({}.{} = {}.{})", left ? "LEFT OUTER JOIN" : "INNER JOIN",
                                quote_name(table), used ? " " + quote_name(alias) : "", parent,
                                quote_name(parent_col), quote_name(alias), quote_name(target_col));
  joins_.push_back({key, table, alias, std::move(sql)});
  return quote_name(alias);
}

ResolvedColumn Compiler::resolve(std::string_view path, bool allow_lookup,
                                 std::vector<std::string>* transforms, std::string* lookup,
                                 bool allow_joins) {
  auto parts = split_path(path);
  const ModelMeta* cur = &meta_;
  std::string alias = base_alias();
  bool nullable = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto name = parts[i];
    const FieldInfo* f = name == "pk" ? &cur->pk() : cur->find_field(name);
    bool more = i + 1 < parts.size();
    if (f) {
      bool next_is_field = more && !is_lookup(parts[i + 1]) && !is_transform(parts[i + 1]);
      if (f->is_relation() && next_is_field) {
        const ModelMeta& target = f->related_model();
        // author__id (or author__pk) is the key's own column: no join needed.
        if (i + 2 == parts.size() && (parts[i + 1] == "pk" || parts[i + 1] == target.pk().name)) {
          return {alias + "." + quote_name(f->column), f, cur, nullable || f->null};
        }
        if (!allow_joins)
          throw FieldError(
              fmt::format("Joined field references are not permitted in this query ('{}')", path));
        nullable = nullable || f->null;
        alias = join(alias, f->column, target, target.pk().column, nullable, alias + "." + f->name);
        cur = &target;
        continue;
      }
      ResolvedColumn col{alias + "." + quote_name(f->column), f, cur, nullable || f->null};
      for (std::size_t j = i + 1; j < parts.size(); ++j) {
        auto p = parts[j];
        if (is_transform(p) && transforms) {
          transforms->emplace_back(p);
        } else if (allow_lookup && is_lookup(p) && j + 1 == parts.size()) {
          *lookup = std::string(p);
        } else if (f->is_relation()) {
          throw FieldError(fmt::format("Cannot resolve keyword '{}' into field. Choices are: {}", p,
                                       f->related_model().field_choices()));
        } else {
          throw FieldError(fmt::format("Unsupported lookup '{}' for {} or join on the field not permitted.",
                                       p, field_type_name(f->type)));
        }
      }
      return col;
    }
    // Many-to-many, either side: through the through table, then (unless only its key is needed) the far
    // model. `tags` alone, `tags__in` or `tags__pk` compare the through table's key column.
    const ManyToManyInfo* m2m = cur->find_many_to_many(name);
    const ReverseManyToMany* rm2m = m2m ? nullptr : cur->find_related_many_to_many(name);
    if (m2m || rm2m) {
      if (!allow_joins)
        throw FieldError(fmt::format("Joined field references are not permitted in this query ('{}')", path));
      const ManyToManyInfo& mf = m2m ? *m2m : *rm2m->field;
      const std::string& near_col = m2m ? mf.source_column : mf.target_column;
      const std::string& far_col = m2m ? mf.target_column : mf.source_column;
      const ModelMeta& far = m2m ? mf.related_model() : *rm2m->model;
      std::string key = alias + "." + std::string(name);
      std::string through = join_table(alias, cur->pk().column, mf.through_table, near_col, true, key);
      nullable = true;
      bool next_is_field = more && !is_lookup(parts[i + 1]) && !is_transform(parts[i + 1]);
      bool next_is_key = next_is_field && (parts[i + 1] == "pk" || parts[i + 1] == far.pk().name) &&
                         (i + 2 == parts.size() || (i + 3 == parts.size() && is_lookup(parts[i + 2])));
      if (!next_is_field || next_is_key) {
        ResolvedColumn col{through + "." + quote_name(far_col), &far.pk(), &far, true};
        for (std::size_t j = i + (next_is_key ? 2 : 1); j < parts.size(); ++j) {
          if (allow_lookup && is_lookup(parts[j]) && j + 1 == parts.size()) {
            *lookup = std::string(parts[j]);
          } else {
            throw FieldError(fmt::format("Unsupported lookup '{}' for the relation '{}'", parts[j], name));
          }
        }
        return col;
      }
      alias = join(through, far_col, far, far.pk().column, true, key + "__far");
      cur = &far;
      continue;
    }
    if (auto* rel = cur->find_related(name)) {
      if (!allow_joins)
        throw FieldError(fmt::format("Joined field references are not permitted in this query ('{}')", path));
      const ModelMeta& target = *rel->model;
      alias = join(alias, cur->pk().column, target, rel->field->column, true, alias + "." + rel->query_name);
      nullable = true;
      cur = &target;
      bool next_is_field = more && !is_lookup(parts[i + 1]) && !is_transform(parts[i + 1]);
      if (!next_is_field) {
        // author__book (or author__book__isnull): the related row's key stands for it.
        ResolvedColumn col{alias + "." + quote_name(target.pk().column), &target.pk(), &target, true};
        for (std::size_t j = i + 1; j < parts.size(); ++j) {
          if (allow_lookup && is_lookup(parts[j]) && j + 1 == parts.size()) {
            *lookup = std::string(parts[j]);
          } else {
            throw FieldError(fmt::format("Unsupported lookup '{}' for the relation '{}'", parts[j], name));
          }
        }
        return col;
      }
      continue;
    }
    throw FieldError(
        fmt::format("Cannot resolve keyword '{}' into field. Choices are: {}", name, cur->field_choices()));
  }
  throw FieldError(fmt::format("empty lookup '{}'", path));
}

std::string Compiler::annotation_sql(std::string_view name, bool* is_aggregate) {
  for (auto& [n, e] : q_.annotations) {
    if (n == name) {
      if (is_aggregate) *is_aggregate = e.contains_aggregate();
      return compile_expr(e);
    }
  }
  return {};
}

std::string Compiler::compile_expr(const Expr& e) {
  return compile_expr_node(e.node());
}

std::string Compiler::compile_expr_node(const ExprNode& n) {
  switch (n.kind) {
    case Expr::Kind::Value:
      params.push_back(n.value);
      return "?";
    case Expr::Kind::List: {
      std::string out = "(";
      for (std::size_t i = 0; i < n.list.size(); ++i) {
        out += i ? ", ?" : "?";
        params.push_back(n.list[i]);
      }
      return out + ")";
    }
    case Expr::Kind::Field: {
      if (n.root && n.root != &meta_) {
        throw FieldError(fmt::format("F() refers to model {} but the query is on {}", n.root->object_name,
                                     meta_.object_name));
      }
      for (auto& [name, e] : q_.annotations) {
        if (name == n.path) return compile_expr(e);
      }
      std::vector<std::string> transforms;
      auto col = resolve(n.path, false, &transforms, nullptr);
      std::string sql = col.sql;
      for (auto& t : transforms)
        sql = transform(t, sql);
      return sql;
    }
    case Expr::Kind::Combined:
      return "(" + compile_expr_node(*n.lhs) + " " + n.op + " " + compile_expr_node(*n.rhs) + ")";
    case Expr::Kind::Aggregate: {
      return ops_.aggregate(n.function, n.distinct, compile_expr_node(*n.lhs));
    }
    case Expr::Kind::Star:
      return "*";
  }
  return "NULL";
}

std::string Compiler::compile_leaf(const Q::Node& n, bool negated, bool* has_aggregate) {
  if (n.root && n.root != &meta_) {
    throw FieldError(fmt::format("The condition on '{}' was built from {}'s fields but the query is on {}",
                                 n.lookup, n.root->object_name, meta_.object_name));
  }
  std::string lhs;
  std::string lookup = "exact";
  std::vector<std::string> transforms;
  bool nullable = true;
  const FieldInfo* field = nullptr;
  // An annotation name first ("num_books__gt"), then a field path.
  auto parts = split_path(n.lookup);
  bool aggregate = false;
  std::string ann = annotation_sql(parts[0], &aggregate);
  if (!ann.empty()) {
    // annotation_sql() compiled into params: move them after the lhs is placed (values come in SQL order).
    lhs = ann;
    for (std::size_t j = 1; j < parts.size(); ++j) {
      if (is_transform(parts[j])) {
        transforms.emplace_back(parts[j]);
      } else if (is_lookup(parts[j]) && j + 1 == parts.size()) {
        lookup = std::string(parts[j]);
      } else {
        throw FieldError(fmt::format("Unsupported lookup '{}' for the annotation '{}'", parts[j], parts[0]));
      }
    }
    if (aggregate && has_aggregate) *has_aggregate = true;
  } else {
    auto col = resolve(n.lookup, true, &transforms, &lookup);
    lhs = col.sql;
    nullable = col.nullable;
    field = col.field;
  }
  for (auto& t : transforms)
    lhs = transform(t, lhs);

  const ExprNode& rhs = n.rhs.node();
  auto value = [&]() -> const Value& {
    if (rhs.kind != Expr::Kind::Value) {
      throw FieldError(
          fmt::format("The '{}' lookup of '{}' takes a value, not an expression", lookup, n.lookup));
    }
    return rhs.value;
  };
  auto text = [&]() -> std::string {
    const Value& v = value();
    if (v.is_null())
      throw ValueError(fmt::format("'{}': a {} lookup needs a value, not NULL", n.lookup, lookup));
    return v.as_string();
  };
  std::string cond;
  if (lookup == "exact") {
    if (rhs.kind == Expr::Kind::Value && rhs.value.is_null()) {
      cond = lhs + " IS NULL";
    } else {
      cond = lhs + " = " + compile_expr(n.rhs);
    }
  } else if (lookup == "iexact" || lookup == "contains" || lookup == "icontains" || lookup == "startswith" ||
             lookup == "istartswith" || lookup == "endswith" || lookup == "iendswith") {
    cond = ops_.pattern_lookup(lookup, lhs, text(), params);
  } else if (lookup == "in") {
    if (rhs.kind != Expr::Kind::List)
      throw ValueError(fmt::format("'{}': the in lookup takes a list of values", n.lookup));
    if (rhs.list.empty()) {
      cond = "0 = 1";  // Django's EmptyResultSet: an empty IN matches nothing
    } else {
      cond = lhs + " IN " + compile_expr(n.rhs);
    }
  } else if (lookup == "gt" || lookup == "gte" || lookup == "lt" || lookup == "lte") {
    const char* op = lookup == "gt" ? " > " : lookup == "gte" ? " >= " : lookup == "lt" ? " < " : " <= ";
    cond = lhs + op + compile_expr(n.rhs);
  } else if (lookup == "range") {
    if (rhs.kind != Expr::Kind::List || rhs.list.size() != 2) {
      throw ValueError(fmt::format("'{}': the range lookup takes exactly two values", n.lookup));
    }
    params.push_back(rhs.list[0]);
    params.push_back(rhs.list[1]);
    cond = lhs + " BETWEEN ? AND ?";
  } else if (lookup == "isnull") {
    cond = lhs + (value().as_bool() ? " IS NULL" : " IS NOT NULL");
  } else if (lookup == "regex" || lookup == "iregex") {
    cond = ops_.pattern_lookup(lookup, lhs, text(), params);
  }
  (void)field;
  // SQL's NOT over NULL is NULL, which would drop rows whose column is NULL from exclude(): Django's fix.
  if (negated && nullable && lookup != "isnull") cond = "(" + cond + " AND " + lhs + " IS NOT NULL)";
  return cond;
}

std::string Compiler::compile_q(const Q::Node& n, bool negated, bool* has_aggregate) {
  bool neg = negated != n.negated;
  std::string sql;
  if (n.type == Q::Node::Type::Leaf) {
    sql = compile_leaf(n, neg, has_aggregate);
  } else {
    const char* glue = n.type == Q::Node::Type::And ? " AND " : " OR ";
    for (std::size_t i = 0; i < n.children.size(); ++i) {
      if (i) sql += glue;
      auto child = compile_q(*n.children[i], neg, has_aggregate);
      sql += n.children.size() > 1 ? "(" + child + ")" : child;
    }
  }
  return n.negated ? "NOT (" + sql + ")" : sql;
}

void Compiler::where_having(std::string& where, std::string& having) {
  auto& root = q_.where.node();
  if (!root) return;
  std::vector<Value> where_params, having_params;
  auto place = [&](const Q::Node& n, bool negated) {
    auto saved = std::move(params);
    params.clear();
    bool agg = false;
    auto sql = compile_q(n, negated, &agg);
    auto& target = agg ? having : where;
    auto& target_params = agg ? having_params : where_params;
    target += (target.empty() ? "(" : " AND (") + sql + ")";
    target_params.insert(target_params.end(), params.begin(), params.end());
    params = std::move(saved);
  };
  if (root->type == Q::Node::Type::And && !root->negated) {
    for (auto& c : root->children)
      place(*c, false);
  } else {
    place(*root, false);
  }
  params.insert(params.end(), where_params.begin(), where_params.end());
  params.insert(params.end(), having_params.begin(), having_params.end());
}

std::string Compiler::order_by_clause(bool use_default) {
  const std::vector<OrderBy>* order = &q_.order_by;
  std::vector<OrderBy> defaults;
  if (!q_.ordering_set) {
    if (!use_default) return {};
    for (auto& o : meta_.ordering)
      defaults.emplace_back(o);
    order = &defaults;
  }
  std::string out;
  for (auto& o : *order) {
    if (o.root && o.root != &meta_) {
      throw FieldError(fmt::format("order_by() refers to model {} but the query is on {}",
                                   o.root->object_name, meta_.object_name));
    }
    std::string sql;
    if (o.path == "?") {
      sql = "RANDOM()";
    } else {
      // The annotation's expression, not its alias: values()/values_list() may not select it, and an unknown
      // "alias" is an error on PostgreSQL (SQLite silently took it for a string constant).
      std::string annotation = annotation_sql(o.path, nullptr);
      if (!annotation.empty()) {
        sql = annotation;
      } else {
        std::vector<std::string> transforms;
        sql = resolve(o.path, false, &transforms, nullptr).sql;
        for (auto& t : transforms)
          sql = transform(t, sql);
      }
      sql += (o.descending != q_.reversed) ? " DESC" : " ASC";
    }
    out += (out.empty() ? "" : ", ") + sql;
  }
  return out;
}

std::string Compiler::limit_clause() {
  if (!q_.is_sliced()) return {};
  return ops_.limit_offset(q_.low_mark, q_.high_mark, params);
}

std::string Compiler::columns_of(const ModelMeta& m, const std::string& alias) {
  std::string out;
  for (auto& f : m.fields)
    out += (out.empty() ? "" : ", ") + alias + "." + quote_name(f.column);
  return out;
}

}  // namespace duet::db::detail
