// The SQL compiler: resolves lookups against the models, builds joins, and renders SQL with bound values.
#pragma once

#include <string>
#include <vector>

#include "duet/db/models/query.hpp"
#include "operations.hpp"

namespace duet::db::detail {

/// One step of a lookup path resolved to a column.
struct ResolvedColumn {
  std::string sql;  // "T1"."name"
  const FieldInfo* field = nullptr;
  const ModelMeta* meta = nullptr;  // the model that owns the field
  bool nullable = false;            // reached through a nullable join or the field is null=True
};

class Compiler {
 public:
  /// Writes SQL in the dialect of the query's alias (vendor_of(q.alias)); no connection is opened.
  explicit Compiler(const Query& q) : q_(q), meta_(*q.model), ops_(vendor_for(q.alias)) {}

  const Operations& ops() const noexcept { return ops_; }
  /// Date parts: year, month, day, week_day, hour, minute, second, date.
  std::string transform(std::string_view name, const std::string& lhs) const {
    return ops_.date_transform(name, lhs);
  }

  /// FROM ... JOINs; valid after everything else has been compiled (joins are added while resolving).
  std::string from_clause() const;
  std::string base_alias() const { return quote_alias(0); }

  /// Resolves a field path ("author__name"), adding the joins it needs. `transforms` receives any date
  /// parts and `lookup` the final lookup when `allow_lookup`.
  ResolvedColumn resolve(std::string_view path, bool allow_lookup, std::vector<std::string>* transforms,
                         std::string* lookup, bool allow_joins = true);
  /// The WHERE condition (without the keyword) and the HAVING one, for the query's Q tree.
  void where_having(std::string& where, std::string& having);
  std::string compile_expr(const Expr& e);
  std::string compile_expr_node(const ExprNode& n);
  std::string order_by_clause(bool use_default);
  std::string limit_clause();
  /// Selected columns of a model reached by `alias_index` (0 = base).
  std::string columns_of(const ModelMeta& m, const std::string& alias);
  std::string annotation_sql(std::string_view name, bool* is_aggregate);

  std::vector<Value> params;

  /// Adds (or reuses) a join; returns its alias.
  std::string join(const std::string& parent, const std::string& parent_col, const ModelMeta& target,
                   const std::string& target_col, bool left, const std::string& key);
  /// The same for a table that is no model's (a many-to-many through table).
  std::string join_table(const std::string& parent, const std::string& parent_col, const std::string& table,
                         const std::string& target_col, bool left, const std::string& key);

 private:
  std::string quote_alias(std::size_t i) const;
  std::string compile_q(const Q::Node& n, bool negated, bool* has_aggregate);
  std::string compile_leaf(const Q::Node& n, bool negated, bool* has_aggregate);

  struct Join {
    std::string key, table, alias, sql;
  };
  const Query& q_;
  const ModelMeta& meta_;
  Operations ops_;
  std::vector<Join> joins_;
};

}  // namespace duet::db::detail
