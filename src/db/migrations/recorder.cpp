#include "duet/db/migrations/recorder.hpp"

#include <chrono>

#include "duet/db/connection.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::db::migrations {

bool MigrationRecorder::has_table() const {
  ensure_sync_context("MigrationRecorder");
  return !connections[alias_]
              .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {std::string(table)})
              .empty();
}

void MigrationRecorder::ensure_schema() const {
  if (has_table()) return;
  connections[alias_].execute_script(
      "CREATE TABLE IF NOT EXISTS \"duet_migrations\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
      "\"app\" varchar(255) NOT NULL, \"name\" varchar(255) NOT NULL, \"applied\" datetime NOT NULL)");
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
