// Shared by the migration tests: a fresh database file per test and helpers to look at its schema.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>

#include "duet/db.hpp"
#include "duet/db/migrations.hpp"

namespace duet::db::migrations::testing {

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() / ("duet-migrations-test-" + std::to_string(::getpid()) +
                                                      "-" + std::to_string(counter++) + ".sqlite3");
    std::filesystem::remove(path_);
    DatabaseSettings s;
    s.name = path_.string();
    configure({{"default", s}});
  }
  void TearDown() override {
    connections.close_all();
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }

  static std::set<std::string> columns(const std::string& table) {
    std::set<std::string> out;
    for (auto& row : connection().query("SELECT name FROM pragma_table_info(?)", {table}))
      out.insert(row[0].as_string());
    return out;
  }
  /// "notnull" of a column: true when the column refuses NULL.
  static bool not_null(const std::string& table, const std::string& column) {
    auto rows =
        connection().query("SELECT \"notnull\" FROM pragma_table_info(?) WHERE name = ?", {table, column});
    return !rows.empty() && rows[0][0].as_int() == 1;
  }
  static bool has_table(const std::string& table) {
    return !connection()
                .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table})
                .empty();
  }
  static bool has_index(const std::string& name) {
    return !connection()
                .query("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", {name})
                .empty();
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
    return next;
  }
  static void backwards(const Operation& op, const ProjectState& before, const ProjectState& after,
                        const std::string& app = "shop") {
    SchemaEditor editor;
    op->database_backwards(app, editor, after, before);
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
