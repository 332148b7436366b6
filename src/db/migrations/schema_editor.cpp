#include "duet/db/migrations/schema_editor.hpp"

#include <fmt/format.h>

#include <set>

#include "backends/postgresql/column_types.hpp"
#include "backends/sqlite/column_types.hpp"
#include "ddl_names.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::db::migrations {

using db::detail::quote_name;

std::string vendor_of_alias(std::string_view alias) {
  // From the configuration, not a connection: sqlmigrate and create_tables' DDL need no server.
  return std::string(vendor_of(alias));
}

SchemaEditor::SchemaEditor(std::string_view alias, bool collect_only)
    : alias_(alias), vendor_(vendor_of_alias(alias)), collect_only_(collect_only) {}

SchemaEditor SchemaEditor::collecting(std::string_view vendor) {
  if (vendor != "sqlite" && vendor != "postgresql")
    throw NotSupportedError(fmt::format("No schema editor for the database vendor '{}'", vendor));
  return SchemaEditor(std::string(DEFAULT_DB_ALIAS), true, std::string(vendor));
}

void SchemaEditor::execute(std::string sql) {
  if (collect_only_) {
    collected_.push_back(std::move(sql));
    return;
  }
  ensure_sync_context("migrations::SchemaEditor::execute()");
  connections[alias_].execute_script(sql);
  collected_.push_back(std::move(sql));
}

void SchemaEditor::execute_deferred() {
  // Taken first: a failing statement must not run again from a second call.
  auto pending = std::move(deferred_);
  deferred_.clear();
  for (auto& sql : pending)
    execute(std::move(sql));
}

std::string SchemaEditor::literal(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "NULL";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return fmt::format("{}", x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          std::string out = "'";
          for (char c : x)
            out += c == '\'' ? std::string("''") : std::string(1, c);
          return out + "'";
        } else {
          std::string out = "X'";
          for (unsigned char c : x)
            out += fmt::format("{:02x}", c);
          return out + "'";
        }
      },
      v.storage());
}

std::string SchemaEditor::literal(const Value& v, const Field& field) const {
  if (!postgresql() || v.is_null()) return literal(v);
  if (field.type == FieldType::BooleanField) {
    if (auto* i = std::get_if<std::int64_t>(&v.storage())) return *i ? "true" : "false";
  }
  if (auto* b = std::get_if<Blob>(&v.storage())) {
    std::string out = "'\\x";
    for (unsigned char c : *b)
      out += fmt::format("{:02x}", c);
    return out + "'::bytea";
  }
  return literal(v);
}

std::string SchemaEditor::column_type(const Field& f, const ProjectState& state) const {
  if (f.type == FieldType::ForeignKey || f.type == FieldType::OneToOneField) {
    const Field& target = state.model(f.to).pk();
    return postgresql() ? postgresql::key_column_type(target.type, target.max_length_, target.max_digits_,
                                                      target.decimal_places_)
                        : sqlite::key_column_type(target.type, target.max_length_);
  }
  return postgresql() ? postgresql::column_type(f.type, f.max_length_, f.max_digits_, f.decimal_places_)
                      : sqlite::column_type(f.type, f.max_length_);
}

std::string SchemaEditor::table_sql(const ModelState& model, const ProjectState& state,
                                    std::string_view table) const {
  std::vector<std::string> defs;
  for (auto& f : model.fields) {
    if (postgresql()) {
      defs.push_back(quote_name(f.column_name()) + " " + pg_column_definition(f, state));
      continue;
    }
    const std::string col = quote_name(f.column_name());
    std::string def = col + " " + column_type(f, state) + (f.null_ ? " NULL" : " NOT NULL");
    if (f.primary_key_) {
      def += " PRIMARY KEY";
      if (f.is_auto()) def += " AUTOINCREMENT";
    } else if (f.unique_ || f.type == FieldType::OneToOneField) {
      def += " UNIQUE";
    }
    if (f.type == FieldType::JSONField) def += fmt::format(" CHECK ((JSON_VALID({0}) OR {0} IS NULL))", col);
    if (f.is_relation()) {
      const ModelState& target = state.model(f.to);
      // Deferred, as Django creates them: rows may point forward within a transaction.
      def += fmt::format(" REFERENCES {} ({}) DEFERRABLE INITIALLY DEFERRED", quote_name(target.db_table()),
                         quote_name(target.pk().column_name()));
    }
    defs.push_back(std::move(def));
  }
  for (auto& c : model.options.constraints) {
    if (auto* u = std::get_if<UniqueConstraint>(&c)) {
      std::string cols;
      for (auto& name : u->fields) {
        const Field* f = model.find_field(name);
        if (!f)
          throw FieldError(fmt::format("{}: unique constraint '{}' names unknown field '{}'", model.label(),
                                       u->name, name));
        cols += (cols.empty() ? "" : ", ") + quote_name(f->column_name());
      }
      defs.push_back(fmt::format("CONSTRAINT {} UNIQUE ({})", quote_name(u->name), cols));
    } else {
      auto& ch = std::get<CheckConstraint>(c);
      defs.push_back(fmt::format("CONSTRAINT {} CHECK ({})", quote_name(ch.name), ch.check));
    }
  }
  std::string sql = "CREATE TABLE " + quote_name(table) + " (";
  for (std::size_t i = 0; i < defs.size(); ++i)
    sql += (i ? ", " : "") + defs[i];
  return sql + ")";
}

std::string SchemaEditor::index_sql(const ModelState& model, const Index& index) const {
  std::string cols;
  for (auto& name : index.fields) {
    std::string_view n = name;
    bool desc = !n.empty() && n[0] == '-';
    if (desc) n.remove_prefix(1);
    const Field* f = model.find_field(n);
    if (!f) throw FieldError(fmt::format("{}: index names unknown field '{}'", model.label(), n));
    cols += (cols.empty() ? "" : ", ") + quote_name(f->column_name()) + (desc ? " DESC" : "");
  }
  const std::string name = index.name.empty() ? default_index_name(model, index) : index.name;
  return fmt::format("CREATE INDEX {} ON {} ({})", quote_name(name), quote_name(model.db_table()), cols);
}

std::vector<std::string> SchemaEditor::index_sql(const ModelState& model) const {
  std::vector<std::string> out;
  for (auto& f : model.fields) {
    if (postgresql()) {
      for (auto& sql : pg_field_index_sql(model, f))
        out.push_back(std::move(sql));
      continue;
    }
    const bool unique = f.unique_ || f.primary_key_ || f.type == FieldType::OneToOneField;
    if ((f.is_relation() || f.db_index_) && !unique) {
      out.push_back(fmt::format("CREATE INDEX {} ON {} ({})",
                                quote_name(model.db_table() + "_" + f.column_name() + "_idx"),
                                quote_name(model.db_table()), quote_name(f.column_name())));
    }
  }
  for (auto& idx : model.options.indexes)
    out.push_back(index_sql(model, idx));
  return out;
}

void SchemaEditor::create_model(const ModelState& model, const ProjectState& state) {
  execute(table_sql(model, state, model.db_table()));
  if (postgresql()) {
    // As Django's PostgreSQL editor: keys and indexes once every table of the migration exists, so that
    // models may point at each other in any order.
    for (auto& f : model.fields)
      if (f.is_relation()) defer(pg_foreign_key_sql(model, f, state));
    for (auto& sql : index_sql(model))
      defer(std::move(sql));
  } else {
    for (auto& sql : index_sql(model))
      execute(std::move(sql));
  }
  for (auto& m2m : model.many_to_many)
    create_through_table(model, m2m, state);
}

void SchemaEditor::delete_model(const ModelState& model) {
  for (auto& m2m : model.many_to_many)
    delete_through_table(m2m);
  // CASCADE on PostgreSQL drops the keys of other tables pointing here, as Django's sql_delete_table.
  execute("DROP TABLE " + quote_name(model.db_table()) + (postgresql() ? " CASCADE" : ""));
}

void SchemaEditor::create_through_table(const ModelState& model, const ThroughTable& m2m,
                                        const ProjectState& state) {
  const ModelState& target = state.model(m2m.to);
  auto key_type = [&](const ModelState& m) {
    Field key("key", FieldType::ForeignKey, m.label());
    return column_type(key, state);
  };
  const auto table = quote_name(m2m.db_table);
  if (postgresql()) {
    execute(fmt::format(
        "CREATE TABLE {} (\"id\" serial NOT NULL PRIMARY KEY, {} {} NOT NULL, {} {} NOT NULL)", table,
        quote_name(m2m.from_column), key_type(model), quote_name(m2m.to_column), key_type(target)));
    defer(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({}, {})", table,
                      quote_name(ddl::index_name(m2m.db_table, {m2m.from_column, m2m.to_column}, "_uniq")),
                      quote_name(m2m.from_column), quote_name(m2m.to_column)));
    for (auto [col, side] : {std::pair{&m2m.from_column, &model}, std::pair{&m2m.to_column, &target}}) {
      defer(fmt::format(
          "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) DEFERRABLE "
          "INITIALLY DEFERRED",
          table,
          quote_name(ddl::foreign_key_name(m2m.db_table, *col, side->db_table(), side->pk().column_name())),
          quote_name(*col), quote_name(side->db_table()), quote_name(side->pk().column_name())));
    }
    for (auto* col : {&m2m.from_column, &m2m.to_column})
      defer(fmt::format("CREATE INDEX {} ON {} ({})", quote_name(ddl::index_name(m2m.db_table, {*col}, "")),
                        table, quote_name(*col)));
    return;
  }
  execute(
      fmt::format("CREATE TABLE {0} (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
                  "{1} {2} NOT NULL REFERENCES {3} ({4}) DEFERRABLE INITIALLY DEFERRED, "
                  "{5} {6} NOT NULL REFERENCES {7} ({8}) DEFERRABLE INITIALLY DEFERRED, "
                  "CONSTRAINT {9} UNIQUE ({1}, {5}))",
                  table, quote_name(m2m.from_column), key_type(model), quote_name(model.db_table()),
                  quote_name(model.pk().column_name()), quote_name(m2m.to_column), key_type(target),
                  quote_name(target.db_table()), quote_name(target.pk().column_name()),
                  quote_name(m2m.db_table + "_" + m2m.from_column + "_" + m2m.to_column + "_uniq")));
  for (auto* col : {&m2m.from_column, &m2m.to_column}) {
    execute(fmt::format("CREATE INDEX {} ON {} ({})", quote_name(m2m.db_table + "_" + *col + "_idx"), table,
                        quote_name(*col)));
  }
}

void SchemaEditor::delete_through_table(const ThroughTable& m2m) {
  execute("DROP TABLE " + quote_name(m2m.db_table) + (postgresql() ? " CASCADE" : ""));
}

void SchemaEditor::add_field(const ModelState& old_model, const ModelState& new_model, const Field& field,
                             const ProjectState& new_state) {
  if (postgresql()) return pg_add_field(new_model, field, new_state);
  remake_table(old_model, new_model, new_state);
}

void SchemaEditor::remove_field(const ModelState& old_model, const ModelState& new_model, const Field& field,
                                const ProjectState& new_state) {
  if (postgresql()) return pg_remove_field(old_model, field, new_state);
  remake_table(old_model, new_model, new_state);
}

void SchemaEditor::alter_field(const ModelState& old_model, const ModelState& new_model,
                               const Field& old_field, const Field& new_field, const ProjectState& old_state,
                               const ProjectState& new_state) {
  if (postgresql()) return pg_alter_field(old_model, new_model, old_field, new_field, old_state, new_state);
  remake_table(old_model, new_model, new_state);
}

void SchemaEditor::add_constraint(const ModelState& old_model, const ModelState& new_model,
                                  const Constraint& c, const ProjectState& new_state) {
  if (!postgresql()) return remake_table(old_model, new_model, new_state);  // SQLite cannot ADD CONSTRAINT
  const auto table = quote_name(new_model.db_table());
  if (auto* u = std::get_if<UniqueConstraint>(&c)) {
    std::string cols;
    for (auto& name : u->fields) {
      const Field* f = new_model.find_field(name);
      if (!f)
        throw FieldError(fmt::format("{}: unique constraint '{}' names unknown field '{}'", new_model.label(),
                                     u->name, name));
      cols += (cols.empty() ? "" : ", ") + quote_name(f->column_name());
    }
    execute(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})", table, quote_name(u->name), cols));
  } else {
    auto& ch = std::get<CheckConstraint>(c);
    execute(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})", table, quote_name(ch.name), ch.check));
  }
}

void SchemaEditor::remove_constraint(const ModelState& old_model, const ModelState& new_model,
                                     std::string_view name, const ProjectState& new_state) {
  if (!postgresql()) return remake_table(old_model, new_model, new_state);
  execute(
      fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", quote_name(old_model.db_table()), quote_name(name)));
}

void SchemaEditor::remake_table(const ModelState& old_model, const ModelState& new_model,
                                const ProjectState& state,
                                const std::map<std::string, std::string>& renamed) {
  if (postgresql())
    throw NotSupportedError("remake_table is SQLite's procedure; PostgreSQL alters tables in place");
  // Django's SQLite _remake_table: SQLite's ALTER TABLE cannot change a column, so build the new table
  // beside the old one, copy the rows, drop the old and take its name. The executor runs this inside the
  // migration's transaction with foreign key enforcement off and checks the keys before committing.
  const std::string table = new_model.db_table();
  const std::string temp = "new__" + table;
  std::vector<std::string> columns, values;
  for (auto& f : new_model.fields) {
    auto it = renamed.find(f.name);
    const Field* old = old_model.find_field(it == renamed.end() ? f.name : it->second);
    if (old) {
      std::string expr = quote_name(old->column_name());
      if (old->null_ && !f.null_ && f.default_value && !f.default_value->is_null())
        expr = fmt::format("coalesce({}, {})", expr, literal(*f.default_value));
      columns.push_back(quote_name(f.column_name()));
      values.push_back(std::move(expr));
    } else if (f.default_value && !f.default_value->is_null()) {
      columns.push_back(quote_name(f.column_name()));
      values.push_back(literal(*f.default_value));
    }
    // A new column without a default is left out: NULL, which a NOT NULL column refuses if rows exist
    // (IntegrityError, the migration rolls back) — give the field a default.
  }
  execute(table_sql(new_model, state, temp));
  std::string cols, vals;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    cols += (i ? ", " : "") + columns[i];
    vals += (i ? ", " : "") + values[i];
  }
  if (!columns.empty()) {
    execute(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", quote_name(temp), cols, vals,
                        quote_name(old_model.db_table())));
  }
  execute("DROP TABLE " + quote_name(old_model.db_table()));
  execute(fmt::format("ALTER TABLE {} RENAME TO {}", quote_name(temp), quote_name(table)));
  for (auto& sql : index_sql(new_model))
    execute(std::move(sql));
}

void SchemaEditor::rename_column(const ModelState& model, std::string_view old_column,
                                 std::string_view new_column) {
  execute(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", quote_name(model.db_table()),
                      quote_name(old_column), quote_name(new_column)));
}

void SchemaEditor::add_index(const ModelState& model, const Index& index) {
  execute(index_sql(model, index));
}

void SchemaEditor::remove_index(const ModelState&, std::string_view name) {
  execute((postgresql() ? "DROP INDEX IF EXISTS " : "DROP INDEX ") + quote_name(name));
}

}  // namespace duet::db::migrations
