// The schema editor migrations run: Django's SQLite DatabaseSchemaEditor over ProjectState models,
// including the table-rebuild procedure SQLite needs for most ALTERs.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/migrations/state.hpp"
#include "duet/db/settings.hpp"

namespace duet::db::migrations {

class SchemaEditor {
 public:
  /// `collect_only`: record the SQL instead of running it (sqlmigrate).
  explicit SchemaEditor(std::string_view alias = DEFAULT_DB_ALIAS, bool collect_only = false)
      : alias_(alias), collect_only_(collect_only) {}

  /// Runs one statement (or ';'-separated statements), or records it when collecting.
  void execute(std::string sql);
  const std::vector<std::string>& collected_sql() const noexcept { return collected_; }
  const std::string& alias() const noexcept { return alias_; }

  void create_model(const ModelState& model, const ProjectState& state);
  void delete_model(const ModelState& model);
  void create_through_table(const ModelState& model, const ThroughTable& m2m, const ProjectState& state);
  void delete_through_table(const ThroughTable& m2m);
  /// Rebuilds `old_model`'s table as `new_model` (same table name) keeping its rows: new table, copy, drop,
  /// rename, recreate indexes. Columns are copied by field name; `renamed` maps new field names to old ones.
  /// A new NOT NULL column takes the field's default; a column that becomes NOT NULL takes it for NULLs.
  void remake_table(const ModelState& old_model, const ModelState& new_model, const ProjectState& state,
                    const std::map<std::string, std::string>& renamed = {});
  void rename_column(const ModelState& model, std::string_view old_column, std::string_view new_column);
  void add_index(const ModelState& model, const Index& index);
  void remove_index(const ModelState& model, std::string_view name);

  /// CREATE TABLE for `model` under the name `table` (the rebuild uses "new__<table>").
  static std::string table_sql(const ModelState& model, const ProjectState& state, std::string_view table);
  /// CREATE INDEX statements: keys, db_index fields and Meta indexes.
  static std::vector<std::string> index_sql(const ModelState& model);
  static std::string index_sql(const ModelState& model, const Index& index);
  static std::string column_type(const Field& f, const ProjectState& state);
  /// A value as an SQL literal, for defaults written into DDL ('it''s', 42, NULL, X'00ff').
  static std::string literal(const Value& v);

 private:
  std::string alias_;
  bool collect_only_;
  std::vector<std::string> collected_;
};

}  // namespace duet::db::migrations
