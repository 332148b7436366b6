// The PostgreSQL half of the migrations' schema editor: ALTER TABLE in place, as Django's
// BaseDatabaseSchemaEditor and postgresql/schema.py do it (statement for statement, with Django's names),
// where the SQLite half rebuilds the table.
#include <fmt/format.h>

#include <algorithm>

#include "backends/postgresql/column_types.hpp"
#include "ddl_names.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/migrations/schema_editor.hpp"

namespace duet::db::migrations {

using db::detail::quote_name;

namespace {

bool is_unique(const Field& f) {
  return f.unique_ || f.primary_key_ || f.type == FieldType::OneToOneField;
}
// Django's ForeignKey has db_index=True; duet indexes every key that is not unique.
bool is_indexed(const Field& f) {
  return f.db_index_ || f.is_relation();
}
// Django's effective_default: the field's default, else '' for a NOT NULL blank text field.
std::optional<Value> effective_default(const Field& f) {
  if (f.default_value && !f.default_value->is_null()) return f.default_value;
  if (!f.null_ && f.blank_) {
    if (f.type == FieldType::CharField || f.type == FieldType::TextField) return Value(std::string());
    if (f.type == FieldType::BinaryField) return Value(Blob{});
  }
  return std::nullopt;
}
bool is_text_type(std::string_view type) {
  return type.starts_with("varchar") || type.starts_with("text");
}

}  // namespace

std::string SchemaEditor::pg_column_definition(const Field& f, const ProjectState& state) const {
  std::string def = column_type(f, state) + (f.null_ ? " NULL" : " NOT NULL");
  if (f.primary_key_) {
    def += " PRIMARY KEY";
  } else if (is_unique(f)) {
    def += " UNIQUE";
  }
  return def;
}

std::string SchemaEditor::pg_foreign_key_sql(const ModelState& model, const Field& f,
                                             const ProjectState& state) const {
  const ModelState& target = state.model(f.to);
  const std::string to_column = target.pk().column_name();
  return fmt::format(
      "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) DEFERRABLE INITIALLY DEFERRED",
      quote_name(model.db_table()),
      quote_name(ddl::foreign_key_name(model.db_table(), f.column_name(), target.db_table(), to_column)),
      quote_name(f.column_name()), quote_name(target.db_table()), quote_name(to_column));
}

std::vector<std::string> SchemaEditor::pg_field_index_sql(const ModelState& model, const Field& f) const {
  // Django's _field_indexes_sql plus the PostgreSQL editor's "_like" index: LIKE 'abc%' cannot use a
  // plain btree index outside the C locale, so indexed or unique text columns get a pattern_ops one too.
  std::vector<std::string> out;
  const std::string table = model.db_table();
  const std::string column = f.column_name();
  if (is_indexed(f) && !is_unique(f)) {
    out.push_back(fmt::format("CREATE INDEX {} ON {} ({})", quote_name(ddl::index_name(table, {column}, "")),
                              quote_name(table), quote_name(column)));
  }
  if ((f.db_index_ || is_unique(f)) && !f.is_relation()) {
    const std::string type = postgresql::column_type(f.type, f.max_length_, f.max_digits_, f.decimal_places_);
    if (is_text_type(type)) {
      out.push_back(fmt::format("CREATE INDEX {} ON {} ({} {})",
                                quote_name(ddl::index_name(table, {column}, "_like")), quote_name(table),
                                quote_name(column),
                                type.starts_with("varchar") ? "varchar_pattern_ops" : "text_pattern_ops"));
    }
  }
  return out;
}

std::string SchemaEditor::pg_unique_constraint_name(const ModelState& model, const Field& f) {
  // Django introspects the name: an inline UNIQUE is named by PostgreSQL ("<table>_<column>_key"), one added
  // by AlterField by Django ("..._uniq"). Without a database (sqlmigrate) PostgreSQL's name is assumed.
  if (!collect_only_) {
    auto rows = connections[alias_].query(
        "SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1] "
        "WHERE t.relname = ? AND t.relnamespace = current_schema()::regnamespace AND c.contype = 'u' "
        "AND array_length(c.conkey, 1) = 1 AND a.attname = ?",
        {model.db_table(), f.column_name()});
    if (rows.size() == 1) return rows[0][0].as_string();
    if (rows.size() > 1)
      throw ProgrammingError(fmt::format("Found {} unique constraints on {}.{}; expected one", rows.size(),
                                         model.db_table(), f.column_name()));
  }
  return ddl::postgresql_default_name(model.db_table(), f.column_name(), "key");
}

void SchemaEditor::pg_add_field(const ModelState& model, const Field& field, const ProjectState& state) {
  const std::string table = quote_name(model.db_table());
  const std::string column = quote_name(field.column_name());
  std::string def = column_type(field, state);
  const auto dflt = effective_default(field);
  if (dflt) def += " DEFAULT " + literal(*dflt, field);
  def += field.null_ ? " NULL" : " NOT NULL";
  if (field.primary_key_) {
    def += " PRIMARY KEY";
  } else if (is_unique(field)) {
    def += " UNIQUE";
  }
  if (field.is_relation()) {
    // Inline, then IMMEDIATE: rows already in the table are checked now and later ALTERs of this migration
    // do not meet pending trigger events (Django's sql_create_column_inline_fk).
    const ModelState& target = state.model(field.to);
    const std::string to_column = target.pk().column_name();
    const std::string name = quote_name(
        ddl::foreign_key_name(model.db_table(), field.column_name(), target.db_table(), to_column));
    def += fmt::format(
        " CONSTRAINT {} REFERENCES {}({}) DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS {} IMMEDIATE", name,
        quote_name(target.db_table()), quote_name(to_column), name);
  }
  execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", table, column, def));
  // Django keeps defaults in the application, not the database: the default only filled the existing rows.
  if (dflt) execute(fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", table, column));
  for (auto& sql : pg_field_index_sql(model, field))
    defer(std::move(sql));
}

void SchemaEditor::pg_remove_field(const ModelState& model, const Field& field, const ProjectState& state) {
  const std::string table = quote_name(model.db_table());
  const std::string column = quote_name(field.column_name());
  if (field.is_relation()) {
    const auto dot = field.to.find('.');
    const ModelState* target = state.find(field.to.substr(0, dot), field.to.substr(dot + 1));
    // The key's target may be gone from the state already (a model deleted later in the history); its name
    // is then rebuilt from the label's default table.
    std::string to_table, to_column = "id";
    if (target) {
      to_table = target->db_table();
      to_column = target->pk().column_name();
    } else {
      to_table =
          db::detail::lower(field.to.substr(0, dot)) + "_" + db::detail::lower(field.to.substr(dot + 1));
    }
    const std::string name =
        quote_name(ddl::foreign_key_name(model.db_table(), field.column_name(), to_table, to_column));
    execute(
        fmt::format("SET CONSTRAINTS {} IMMEDIATE; ALTER TABLE {} DROP CONSTRAINT {}", name, table, name));
  }
  execute(fmt::format("ALTER TABLE {} DROP COLUMN {} CASCADE", table, column));
  // Indexes still waiting for the column would fail at the end of the migration.
  std::erase_if(deferred_, [&](const std::string& sql) {
    return sql.find(table) != std::string::npos && sql.find("(" + column) != std::string::npos;
  });
}

void SchemaEditor::pg_alter_field(const ModelState& old_model, const ModelState& new_model,
                                  const Field& old_field, const Field& new_field,
                                  const ProjectState& old_state, const ProjectState& new_state) {
  if (old_field.primary_key_ != new_field.primary_key_)
    throw NotSupportedError(
        fmt::format("{}.{}: changing which field is the primary key is not supported on "
                    "PostgreSQL",
                    new_model.label(), new_field.name));
  if (old_field.is_auto() != new_field.is_auto())
    throw NotSupportedError(
        fmt::format("{}.{}: changing a field to or from an auto field is not supported on "
                    "PostgreSQL",
                    new_model.label(), new_field.name));
  const std::string table_name = new_model.db_table();
  const std::string table = quote_name(table_name);
  const std::string old_column = old_field.column_name();
  const std::string column = new_field.column_name();
  // An auto key changing width (AutoField -> BigAutoField) keeps its sequence: only the column type moves.
  auto plain_type = [&](const Field& f, const ProjectState& s) {
    if (f.is_auto()) return std::string(f.type == FieldType::BigAutoField ? "bigint" : "integer");
    return column_type(f, s);
  };
  const std::string old_type = plain_type(old_field, old_state);
  const std::string new_type = plain_type(new_field, new_state);
  auto family = [&](const Field& f, const std::string& type) {
    return f.is_relation() ? type : std::string(postgresql::type_family(f.type));
  };

  // The PostgreSQL editor's first step: a "_like" index does not survive a change away from text.
  if ((old_field.db_index_ || is_unique(old_field)) && !old_field.is_relation() &&
      ((old_type.starts_with("varchar") && !new_type.starts_with("varchar")) ||
       (old_type.starts_with("text") && !new_type.starts_with("text")))) {
    execute("DROP INDEX IF EXISTS " + quote_name(ddl::index_name(table_name, {old_column}, "_like")));
  }
  // Keys are dropped and added again around the change, as Django does.
  if (old_field.is_relation()) {
    const ModelState& target = old_state.model(old_field.to);
    const std::string name = quote_name(
        ddl::foreign_key_name(table_name, old_column, target.db_table(), target.pk().column_name()));
    execute(
        fmt::format("SET CONSTRAINTS {} IMMEDIATE; ALTER TABLE {} DROP CONSTRAINT {}", name, table, name));
  }
  if (is_unique(old_field) && !old_field.primary_key_ && !is_unique(new_field)) {
    execute(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", table,
                        quote_name(pg_unique_constraint_name(old_model, old_field))));
  }
  const bool old_indexed = is_indexed(old_field) && !is_unique(old_field);
  const bool new_indexed = is_indexed(new_field) && !is_unique(new_field);
  if (old_indexed && !new_indexed) {
    execute("DROP INDEX IF EXISTS " + quote_name(ddl::index_name(table_name, {old_column}, "")));
    if (!old_field.is_relation() && is_text_type(old_type) && old_field.db_index_)
      execute("DROP INDEX IF EXISTS " + quote_name(ddl::index_name(table_name, {old_column}, "_like")));
  }
  if (old_column != column) rename_column(old_model, old_column, column);

  std::vector<std::string> actions, null_actions;
  if (old_type != new_type) {
    std::string change = fmt::format("ALTER COLUMN {} TYPE {}", quote_name(column), new_type);
    if (family(old_field, old_type) != family(new_field, new_type))
      change += fmt::format(" USING {}::{}", quote_name(column), new_type);
    actions.push_back(std::move(change));
  }
  const auto old_default = effective_default(old_field);
  const auto new_default = effective_default(new_field);
  // NULL -> NOT NULL with a default: the default fills the NULLs first (Django's four-way alteration).
  const bool needs_database_default =
      old_field.null_ && !new_field.null_ && new_default && (!old_default || !(*old_default == *new_default));
  if (needs_database_default)
    actions.push_back(
        fmt::format("ALTER COLUMN {} SET DEFAULT {}", quote_name(column), literal(*new_default, new_field)));
  if (old_field.null_ != new_field.null_)
    null_actions.push_back(
        fmt::format("ALTER COLUMN {} {} NOT NULL", quote_name(column), new_field.null_ ? "DROP" : "SET"));
  if (!needs_database_default) {
    actions.insert(actions.end(), null_actions.begin(), null_actions.end());
    null_actions.clear();
  }
  if (!actions.empty()) {
    std::string changes;
    for (auto& a : actions)
      changes += (changes.empty() ? "" : ", ") + a;
    execute(fmt::format("ALTER TABLE {} {}", table, changes));
  }
  if (needs_database_default) {
    execute(fmt::format("UPDATE {} SET {} = {} WHERE {} IS NULL", table, quote_name(column),
                        literal(*new_default, new_field), quote_name(column)));
    for (auto& a : null_actions)
      execute(fmt::format("ALTER TABLE {} {}", table, a));
  }
  if (!is_unique(old_field) && is_unique(new_field)) {
    execute(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})", table,
                        quote_name(ddl::index_name(table_name, {column}, "_uniq")), quote_name(column)));
  }
  if (!old_indexed && new_indexed) {
    execute(fmt::format("CREATE INDEX {} ON {} ({})", quote_name(ddl::index_name(table_name, {column}, "")),
                        table, quote_name(column)));
  }
  if (new_field.is_relation()) execute(pg_foreign_key_sql(new_model, new_field, new_state));
  if (needs_database_default)
    execute(fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", table, quote_name(column)));

  // The PostgreSQL editor's last steps: "_like" indexes follow the index and uniqueness changes.
  if (!new_field.is_relation() && is_text_type(new_type) &&
      ((!(old_field.db_index_ || is_unique(old_field)) && new_field.db_index_) ||
       (!is_unique(old_field) && is_unique(new_field)))) {
    execute(fmt::format("CREATE INDEX {} ON {} ({} {})",
                        quote_name(ddl::index_name(table_name, {column}, "_like")), table, quote_name(column),
                        new_type.starts_with("varchar") ? "varchar_pattern_ops" : "text_pattern_ops"));
  }
  if (is_unique(old_field) && !(new_field.db_index_ || is_unique(new_field)))
    execute("DROP INDEX IF EXISTS " + quote_name(ddl::index_name(table_name, {old_column}, "_like")));
}

}  // namespace duet::db::migrations
