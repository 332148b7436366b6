// Shared by the migration tests: a fresh database file per test and helpers to look at its schema.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>

#include "../scratch_database.hpp"
#include "db/migrations/ddl_names.hpp"
#include "duet/db.hpp"
#include "duet/db/migrations.hpp"

namespace duet::db::migrations::testing {

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() / ("duet-migrations-test-" + std::to_string(::getpid()) +
                                                      "-" + std::to_string(counter++) + ".sqlite3");
    // SQLite file or emptied PostgreSQL schema, as DUET_TEST_DATABASE says (the ORM tests' fixture).
    db::testing::scratch_settings(path_);
  }
  void TearDown() override {
    connections.close_all();
    if (!postgresql()) {
      for (auto suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path_.string() + suffix);
    }
  }
  static bool postgresql() { return db::testing::on_postgresql(); }

  static std::set<std::string> columns(const std::string& table) {
    std::set<std::string> out;
    const char* sql = postgresql() ? "SELECT column_name FROM information_schema.columns "
                                     "WHERE table_schema = current_schema() AND table_name = ?"
                                   : "SELECT name FROM pragma_table_info(?)";
    for (auto& row : connection().query(sql, {table}))
      out.insert(row[0].as_string());
    return out;
  }
  /// True when the column refuses NULL.
  static bool not_null(const std::string& table, const std::string& column) {
    if (postgresql()) {
      auto rows = connection().query(
          "SELECT is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND "
          "table_name = ? AND column_name = ?",
          {table, column});
      return !rows.empty() && rows[0][0].as_string() == "NO";
    }
    auto rows =
        connection().query("SELECT \"notnull\" FROM pragma_table_info(?) WHERE name = ?", {table, column});
    return !rows.empty() && rows[0][0].as_int() == 1;
  }
  /// The column's declared type as the database reports it ("varchar(10)"; PostgreSQL: "character varying").
  static std::string column_type(const std::string& table, const std::string& column) {
    auto rows = postgresql() ? connection().query(
                                   "SELECT data_type FROM information_schema.columns WHERE "
                                   "table_schema = current_schema() AND table_name = ? AND "
                                   "column_name = ?",
                                   {table, column})
                             : connection().query("SELECT type FROM pragma_table_info(?) WHERE name = ?",
                                                  {table, column});
    return rows.empty() ? std::string() : rows[0][0].as_string();
  }
  static bool has_table(const std::string& table) {
    const char* sql = postgresql()
                          ? "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
                            "tablename = ?"
                          : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?";
    return !connection().query(sql, {table}).empty();
  }
  static bool has_index(const std::string& name) {
    const char* sql = postgresql()
                          ? "SELECT 1 FROM pg_catalog.pg_indexes WHERE schemaname = current_schema() AND "
                            "indexname = ?"
                          : "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?";
    return !connection().query(sql, {name}).empty();
  }
  /// The name the editor gives a key's index: Django's hashed one on PostgreSQL, "<table>_<column>_idx" on
  /// SQLite.
  static std::string key_index_name(const std::string& table, const std::string& column) {
    return postgresql() ? ddl::index_name(table, {column}, "") : table + "_" + column + "_idx";
  }
  /// The tables that `table`'s foreign keys reference.
  static std::vector<std::string> references(const std::string& table) {
    std::vector<std::string> out;
    const char* sql =
        postgresql() ? "SELECT ccu.table_name FROM information_schema.table_constraints tc "
                       "JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = "
                       "tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema "
                       "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() AND "
                       "tc.table_name = ?"
                     : "SELECT \"table\" FROM pragma_foreign_key_list(?)";
    for (auto& row : connection().query(sql, {table}))
      out.push_back(row[0].as_string());
    return out;
  }
  static std::int64_t count(const std::string& table) {
    return connection().query("SELECT count(*) FROM \"" + table + "\"")[0][0].as_int();
  }

  /// Applies `op` on top of `state` to the database and returns the new state.
  static ProjectState forwards(const Operation& op, const ProjectState& state,
                               const std::string& app = "shop") {
    ProjectState next = state;
    op->state_forwards(app, next);
    SchemaEditor editor;
    op->database_forwards(app, editor, state, next);
    editor.execute_deferred();
    return next;
  }
  static void backwards(const Operation& op, const ProjectState& before, const ProjectState& after,
                        const std::string& app = "shop") {
    SchemaEditor editor;
    op->database_backwards(app, editor, after, before);
    editor.execute_deferred();
  }

  std::filesystem::path path_;
};

/// shop.Product (id, name, price) as an initial CreateModel.
inline CreateModel product_model() {
  return CreateModel("Product", {
                                    Field("id", FieldType::BigAutoField).primary_key(),
                                    Field("name", FieldType::CharField).max_length(50),
                                    Field("price", FieldType::IntegerField).default_(0),
                                });
}

}  // namespace duet::db::migrations::testing
