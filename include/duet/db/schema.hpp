// Schema editing: the DDL for a model (what migrations will run; used directly by tests and scripts).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "duet/db/models/meta.hpp"
#include "duet/db/settings.hpp"

namespace duet::db {

/// Django's BaseDatabaseSchemaEditor for SQLite, as far as creating and dropping models goes.
class SchemaEditor {
 public:
  explicit SchemaEditor(std::string_view alias = DEFAULT_DB_ALIAS) : alias_(alias) {}

  /// The column's SQL type: "varchar(100)", "integer", "datetime", ...
  static std::string column_type(const FieldInfo& f);
  /// CREATE TABLE plus its CREATE INDEX statements, in order.
  static std::vector<std::string> create_model_sql(const ModelMeta& meta);
  static std::string delete_model_sql(const ModelMeta& meta);

  void create_model(const ModelMeta& meta) const;
  void delete_model(const ModelMeta& meta) const;

 private:
  std::string alias_;
};

/// Creates the tables of the given models (in order) on `alias`: create_tables<Author, Book>().
template <class... Models>
void create_tables(std::string_view alias = DEFAULT_DB_ALIAS) {
  SchemaEditor editor(alias);
  (editor.create_model(Models::_meta()), ...);
}

}  // namespace duet::db
