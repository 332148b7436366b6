// The schema editor migrations run (Django's DatabaseSchemaEditor) over ProjectState models, one per vendor
// behind one interface: on SQLite most ALTERs rebuild the table (Django's _remake_table); on PostgreSQL they
// are ALTER TABLE statements, with foreign keys and indexes deferred to the end of the migration as Django
// defers them. create_tables() builds its tables through this editor too: one DDL builder per vendor.
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
  /// The vendor is the alias's ("sqlite" or "postgresql"). `collect_only`: record the SQL instead of running
  /// it (sqlmigrate).
  explicit SchemaEditor(std::string_view alias = DEFAULT_DB_ALIAS, bool collect_only = false);
  /// A collecting editor for `vendor` that needs no configured alias (to look at the DDL of either vendor).
  static SchemaEditor collecting(std::string_view vendor);

  /// Runs one statement, or records it when collecting.
  void execute(std::string sql);
  /// Django's deferred_sql: statements that must wait until every table of the migration exists (foreign
  /// keys and indexes on PostgreSQL). Run by execute_deferred(), which the executor and create_tables call
  /// at the end; an editor used by hand must call it too.
  void defer(std::string sql) { deferred_.push_back(std::move(sql)); }
  void execute_deferred();
  const std::vector<std::string>& deferred_sql() const noexcept { return deferred_; }
  const std::vector<std::string>& collected_sql() const noexcept { return collected_; }
  const std::string& alias() const noexcept { return alias_; }
  const std::string& vendor() const noexcept { return vendor_; }
  bool postgresql() const noexcept { return vendor_ == "postgresql"; }

  void create_model(const ModelState& model, const ProjectState& state);
  void delete_model(const ModelState& model);
  void create_through_table(const ModelState& model, const ThroughTable& m2m, const ProjectState& state);
  void delete_through_table(const ThroughTable& m2m);

  // Field changes. `old_model` is the model before, `new_model` after, each in its own state; SQLite rebuilds
  // the table, PostgreSQL alters it.
  void add_field(const ModelState& old_model, const ModelState& new_model, const Field& field,
                 const ProjectState& new_state);
  void remove_field(const ModelState& old_model, const ModelState& new_model, const Field& field,
                    const ProjectState& new_state);
  void alter_field(const ModelState& old_model, const ModelState& new_model, const Field& old_field,
                   const Field& new_field, const ProjectState& old_state, const ProjectState& new_state);
  void add_constraint(const ModelState& old_model, const ModelState& new_model, const Constraint& c,
                      const ProjectState& new_state);
  void remove_constraint(const ModelState& old_model, const ModelState& new_model, std::string_view name,
                         const ProjectState& new_state);

  /// Rebuilds `old_model`'s table as `new_model` (same table name) keeping its rows: new table, copy, drop,
  /// rename, recreate indexes. Columns are copied by field name; `renamed` maps new field names to old ones.
  /// A new NOT NULL column takes the field's default; a column that becomes NOT NULL takes it for NULLs.
  /// SQLite only.
  void remake_table(const ModelState& old_model, const ModelState& new_model, const ProjectState& state,
                    const std::map<std::string, std::string>& renamed = {});
  void rename_column(const ModelState& model, std::string_view old_column, std::string_view new_column);
  void add_index(const ModelState& model, const Index& index);
  void remove_index(const ModelState& model, std::string_view name);

  /// CREATE TABLE for `model` under the name `table` (the SQLite rebuild uses "new__<table>"). On SQLite the
  /// keys are inline REFERENCES; on PostgreSQL they are deferred ALTER TABLE ... ADD CONSTRAINT (defer()).
  std::string table_sql(const ModelState& model, const ProjectState& state, std::string_view table) const;
  /// CREATE INDEX statements: keys, db_index fields (and on PostgreSQL the varchar_pattern_ops "_like"
  /// index of indexed or unique text columns), Meta indexes.
  std::vector<std::string> index_sql(const ModelState& model) const;
  std::string index_sql(const ModelState& model, const Index& index) const;
  std::string column_type(const Field& f, const ProjectState& state) const;
  /// A value as an SQL literal, for defaults written into DDL ('it''s', 42, NULL, X'00ff').
  static std::string literal(const Value& v);
  /// The literal for `field`'s column on this vendor (PostgreSQL: true/false, '\x00ff'::bytea).
  std::string literal(const Value& v, const Field& field) const;

 private:
  SchemaEditor(std::string alias, bool collect_only, std::string vendor)
      : alias_(std::move(alias)), vendor_(std::move(vendor)), collect_only_(collect_only) {}

  // PostgreSQL (postgresql_schema.cpp).
  std::string pg_column_definition(const Field& f, const ProjectState& state) const;
  std::string pg_foreign_key_sql(const ModelState& model, const Field& f, const ProjectState& state) const;
  std::vector<std::string> pg_field_index_sql(const ModelState& model, const Field& f) const;
  std::string pg_unique_constraint_name(const ModelState& model, const Field& f);
  void pg_add_field(const ModelState& model, const Field& field, const ProjectState& state);
  void pg_remove_field(const ModelState& model, const Field& field, const ProjectState& state);
  void pg_alter_field(const ModelState& old_model, const ModelState& new_model, const Field& old_field,
                      const Field& new_field, const ProjectState& old_state, const ProjectState& new_state);

  std::string alias_;
  std::string vendor_;
  bool collect_only_;
  std::vector<std::string> collected_;
  std::vector<std::string> deferred_;
};

/// "sqlite" or "postgresql" for a configured alias, without opening a connection.
std::string vendor_of_alias(std::string_view alias);

}  // namespace duet::db::migrations
