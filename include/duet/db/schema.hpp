// Schema editing: the DDL for a model (what migrations will run; used directly by tests and scripts).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "duet/db/models/meta.hpp"
#include "duet/db/settings.hpp"

namespace duet::db {

/// Django's schema_editor().create_model for declared models, on the alias's database (SQLite or
/// PostgreSQL). The DDL is the migrations' editor's (one builder per vendor), so create_tables and
/// `migrate` make the same tables.
class SchemaEditor {
 public:
  explicit SchemaEditor(std::string_view alias = DEFAULT_DB_ALIAS) : alias_(alias) {}

  /// The column's SQL type on `vendor` ("sqlite" or "postgresql"): "varchar(100)", "integer", "datetime",
  /// "timestamp with time zone", ...; a key takes its target's key type.
  static std::string column_type(const FieldInfo& f, std::string_view vendor = "sqlite");
  /// CREATE TABLE and what follows it, in order: on SQLite the indexes (keys are inline); on PostgreSQL the
  /// key constraints and indexes; then the model's many-to-many through tables.
  static std::vector<std::string> create_model_sql(const ModelMeta& meta, std::string_view vendor = "sqlite");
  static std::string delete_model_sql(const ModelMeta& meta, std::string_view vendor = "sqlite");

  /// One model, in a transaction.
  void create_model(const ModelMeta& meta) const;
  /// Several models in one transaction; on PostgreSQL the keys are added once every table exists, so the
  /// models may point at each other in any order.
  void create_models(const std::vector<const ModelMeta*>& metas) const;
  void delete_model(const ModelMeta& meta) const;

 private:
  std::string alias_;
};

/// Creates the tables of the given models on `alias`: create_tables<Author, Book>().
template <class... Models>
void create_tables(std::string_view alias = DEFAULT_DB_ALIAS) {
  SchemaEditor(alias).create_models({&Models::_meta()...});
}

}  // namespace duet::db
