#include "duet/db/schema.hpp"

#include <fmt/format.h>

#include "backends/sqlite/column_types.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/many_to_many.hpp"
#include "duet/db/transaction.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::db {

using detail::quote_name;

std::string SchemaEditor::column_type(const FieldInfo& f) {
  if (f.type == FieldType::ForeignKey || f.type == FieldType::OneToOneField) {
    const FieldInfo& target = f.related_model().pk();
    return sqlite::key_column_type(target.type, target.max_length);
  }
  return sqlite::column_type(f.type, f.max_length);
}

std::vector<std::string> SchemaEditor::create_model_sql(const ModelMeta& meta) {
  std::vector<std::string> defs;
  std::vector<std::string> indexes;
  for (auto& f : meta.fields) {
    std::string def = quote_name(f.column) + " " + column_type(f) + (f.null ? " NULL" : " NOT NULL");
    if (f.primary_key) {
      def += " PRIMARY KEY";
      if (f.is_auto()) def += " AUTOINCREMENT";
    } else if (f.unique) {
      def += " UNIQUE";
    }
    if (f.type == FieldType::JSONField) {
      def += fmt::format(" CHECK ((JSON_VALID({0}) OR {0} IS NULL))", quote_name(f.column));
    }
    if (f.is_relation()) {
      const ModelMeta& target = f.related_model();
      // Deferred, as Django creates them: rows may point forward within a transaction.
      def += fmt::format(" REFERENCES {} ({}) DEFERRABLE INITIALLY DEFERRED", quote_name(target.db_table),
                         quote_name(target.pk().column));
    }
    defs.push_back(std::move(def));
    if ((f.is_relation() && !f.unique) || (f.db_index && !f.unique && !f.primary_key)) {
      indexes.push_back(fmt::format("CREATE INDEX {} ON {} ({})",
                                    quote_name(meta.db_table + "_" + f.column + "_idx"),
                                    quote_name(meta.db_table), quote_name(f.column)));
    }
  }
  for (auto& u : meta.unique_constraints) {
    std::string cols, name = u.name.empty() ? meta.db_table : u.name;
    for (auto& fname : u.fields) {
      const FieldInfo* f = meta.find_field(fname);
      if (!f)
        throw FieldError(
            fmt::format("{}: unique constraint names unknown field '{}'", meta.object_name, fname));
      cols += (cols.empty() ? "" : ", ") + quote_name(f->column);
      if (u.name.empty()) name += "_" + f->column;
    }
    if (u.name.empty()) name += "_uniq";
    defs.push_back(fmt::format("CONSTRAINT {} UNIQUE ({})", quote_name(name), cols));
  }
  for (auto& c : meta.check_constraints) {
    defs.push_back(fmt::format("CONSTRAINT {} CHECK ({})",
                               quote_name(c.name.empty() ? meta.db_table + "_check" : c.name), c.check));
  }
  for (auto& idx : meta.indexes) {
    std::string cols, name = idx.name;
    for (auto& fname : idx.fields) {
      std::string_view n = fname;
      bool desc = !n.empty() && n[0] == '-';
      if (desc) n.remove_prefix(1);
      const FieldInfo* f = meta.find_field(n);
      if (!f) throw FieldError(fmt::format("{}: index names unknown field '{}'", meta.object_name, n));
      cols += (cols.empty() ? "" : ", ") + quote_name(f->column) + (desc ? " DESC" : "");
      if (idx.name.empty()) name += (name.empty() ? meta.db_table + "_" : "_") + f->column;
    }
    if (idx.name.empty()) name += "_idx";
    indexes.push_back(
        fmt::format("CREATE INDEX {} ON {} ({})", quote_name(name), quote_name(meta.db_table), cols));
  }
  std::string table = "CREATE TABLE " + quote_name(meta.db_table) + " (";
  for (std::size_t i = 0; i < defs.size(); ++i)
    table += (i ? ", " : "") + defs[i];
  table += ")";
  std::vector<std::string> out{table};
  out.insert(out.end(), indexes.begin(), indexes.end());
  return out;
}

std::string SchemaEditor::delete_model_sql(const ModelMeta& meta) {
  return "DROP TABLE " + quote_name(meta.db_table);
}

void SchemaEditor::create_model(const ModelMeta& meta) const {
  ensure_sync_context("SchemaEditor::create_model()");
  transaction::atomic tx(alias_);
  auto& conn = connections[alias_];
  for (auto& sql : create_model_sql(meta))
    conn.execute_script(sql);
  // As Django's create_model: the auto-created through tables of its many-to-many fields come with it.
  for (auto& m2m : meta.many_to_many) {
    for (auto& sql : detail::through_table_sql(m2m))
      conn.execute_script(sql);
  }
}

void SchemaEditor::delete_model(const ModelMeta& meta) const {
  ensure_sync_context("SchemaEditor::delete_model()");
  for (auto& m2m : meta.many_to_many)
    connections[alias_].execute_script("DROP TABLE " + quote_name(m2m.through_table));
  connections[alias_].execute_script(delete_model_sql(meta));
}

}  // namespace duet::db
