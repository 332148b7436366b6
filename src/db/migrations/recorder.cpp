#include "duet/db/migrations/recorder.hpp"

#include <chrono>

#include <fmt/format.h>

#include "duet/db/connection.hpp"
#include "duet/db/migrations/schema_editor.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::db::migrations {

bool MigrationRecorder::has_table() const {
  ensure_sync_context("MigrationRecorder");
  if (migrations::vendor_of_alias(alias_) == "postgresql") {
    // In the connection's current schema, as Django's introspection of table_names().
    return !connections[alias_]
                .query(
                    "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = "
                    "?",
                    {std::string(table)})
                .empty();
  }
  return !connections[alias_]
              .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {std::string(table)})
              .empty();
}

void MigrationRecorder::ensure_schema() const {
  if (has_table()) return;
  // Django's MigrationRecorder.Migration model, through the same column types as every other table.
  const bool pg = migrations::vendor_of_alias(alias_) == "postgresql";
  connections[alias_].execute_script(fmt::format(
      "CREATE TABLE IF NOT EXISTS \"duet_migrations\" (\"id\" {} NOT NULL PRIMARY KEY{}, "
      "\"app\" varchar(255) NOT NULL, \"name\" varchar(255) NOT NULL, \"applied\" {} NOT NULL)",
      pg ? "serial" : "integer", pg ? "" : " AUTOINCREMENT", pg ? "timestamp with time zone" : "datetime"));
}

std::set<Dependency> MigrationRecorder::applied() const {
  std::set<Dependency> out;
  if (!has_table()) return out;
  for (auto& row : connections[alias_].query("SELECT \"app\", \"name\" FROM \"duet_migrations\""))
    out.insert({row[0].as_string(), row[1].as_string()});
  return out;
}

void MigrationRecorder::record_applied(std::string_view app, std::string_view name) const {
  ensure_schema();
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  connections[alias_].execute(
      "INSERT INTO \"duet_migrations\" (\"app\", \"name\", \"applied\") VALUES (?, ?, ?)",
      {app, name, Value(DateTime(now))});
}

void MigrationRecorder::record_unapplied(std::string_view app, std::string_view name) const {
  ensure_schema();
  connections[alias_].execute("DELETE FROM \"duet_migrations\" WHERE \"app\" = ? AND \"name\" = ?",
                              {app, name});
}

}  // namespace duet::db::migrations
