// The management commands through call_command: output shapes (Django's), files written, exit codes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "duet/core/management.hpp"
#include "duet/db.hpp"
#include "duet/db/migrations.hpp"

namespace notes {
using namespace duet::db;
struct Note : Model<Note> {
  CharField title;
  TextField body;
  static void meta(Meta<Note>& m) {
    m.app_label("notes");
    m.field(&Note::title, "title").max_length(100);
    m.field(&Note::body, "body").blank().default_("");
  }
};
}  // namespace notes

namespace {

namespace fs = std::filesystem;
namespace mig = duet::db::migrations;
using duet::core::management::call_command;
using duet::core::management::ManagementOptions;

struct Result {
  int code;
  std::string out;
  std::string err;
};

class ManagementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto id = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    base_ = fs::temp_directory_path() / ("duet-management-test-" + id);
    fs::remove_all(base_);
    fs::create_directories(base_);
    duet::db::DatabaseSettings s;
    s.name = (base_ / "db.sqlite3").string();
    duet::db::configure({{"default", s}});
    options_.migration_dirs["notes"] = (base_ / "migrations").string();
    options_.program = "site";
    (void)notes::Note::_meta();
    mig::clear_registered_migrations();
  }
  void TearDown() override {
    mig::clear_registered_migrations();
    duet::db::connections.close_all();
    fs::remove_all(base_);
  }
  Result run(std::vector<std::string> args) {
    std::ostringstream out, err;
    int code = call_command(args, out, err, options_);
    return {code, out.str(), err.str()};
  }
  /// What compiling the generated 0001 would register.
  void register_initial() {
    mig::MigrationLoader empty(std::vector<mig::Migration>{});
    auto changes = mig::MigrationAutodetector({}, mig::ProjectState::from_models({&notes::Note::_meta()}))
                       .changes(empty);
    mig::register_migration(changes.at(0));
  }
  bool has_table(const std::string& t) {
    return !duet::db::connection()
                .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {t})
                .empty();
  }

  fs::path base_;
  ManagementOptions options_;
};

TEST_F(ManagementTest, MakemigrationsWritesInitialMigrationFile) {
  auto r = run({"makemigrations", "notes"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto file = base_ / "migrations" / "0001_initial.cpp";
  EXPECT_EQ(r.out.substr(0, r.out.find("Rebuild")),
            "Migrations for 'notes':\n  " + file.string() + "\n    - Create model Note\n");
  ASSERT_TRUE(fs::exists(file));
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("CreateModel("), std::string::npos);
  EXPECT_NE(text.find("Field(\"title\", FieldType::CharField).max_length(100)"), std::string::npos);

  // Not compiled in yet: a second run refuses rather than numbering over it.
  fs::remove(file);
  std::ofstream(base_ / "migrations" / "0001_initial.cpp") << "// pending";
  register_initial();
  mig::clear_registered_migrations();
  auto again = run({"makemigrations"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("not compiled into this binary"), std::string::npos) << again.err;
}

TEST_F(ManagementTest, MakemigrationsReportsNoChangesOnceCompiledIn) {
  register_initial();
  auto r = run({"makemigrations", "notes"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "No changes detected in app 'notes'\n");
}

TEST_F(ManagementTest, MakemigrationsCheckAndDryRunWriteNothing) {
  auto check = run({"makemigrations", "--check"});
  EXPECT_EQ(check.code, 1);
  auto dry = run({"makemigrations", "--dry-run"});
  EXPECT_EQ(dry.code, 0);
  EXPECT_NE(dry.out.find("- Create model Note"), std::string::npos);
  EXPECT_FALSE(fs::exists(base_ / "migrations" / "0001_initial.cpp"));
}

TEST_F(ManagementTest, MigrateShowmigrationsAndBackToZero) {
  register_initial();
  auto before = run({"showmigrations"});
  EXPECT_EQ(before.out, "notes\n [ ] 0001_initial\n");

  auto r = run({"migrate"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Operations to perform:\n  Apply all migrations: notes\nRunning migrations:\n"
            "  Applying notes.0001_initial... OK\n");
  EXPECT_TRUE(has_table("notes_note"));
  EXPECT_EQ(run({"showmigrations", "notes"}).out, "notes\n [X] 0001_initial\n");
  EXPECT_EQ(run({"showmigrations", "--plan"}).out, "[X]  notes.0001_initial\n");
  EXPECT_EQ(run({"migrate"}).out,
            "Operations to perform:\n  Apply all migrations: notes\nRunning migrations:\n  No migrations to "
            "apply.\n");

  auto zero = run({"migrate", "notes", "zero"});
  ASSERT_EQ(zero.code, 0) << zero.err;
  EXPECT_EQ(zero.out,
            "Operations to perform:\n  Unapply all migrations: notes\nRunning migrations:\n"
            "  Unapplying notes.0001_initial... OK\n");
  EXPECT_FALSE(has_table("notes_note"));
}

TEST_F(ManagementTest, MigrateWarnsAboutModelChangesWithoutMigration) {
  auto r = run({"migrate"});
  // No migrations at all: nothing to apply, and the models are not reflected.
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Your models in app(s): 'notes' have changes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Run 'site makemigrations'"), std::string::npos);
}

TEST_F(ManagementTest, SqlmigratePrintsDjangoShape) {
  register_initial();
  auto r = run({"sqlmigrate", "notes", "0001"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "BEGIN;\n--\n-- Create model Note\n--\nCREATE TABLE \"notes_note\" (\"id\" integer NOT NULL PRIMARY "
      "KEY AUTOINCREMENT, \"title\" varchar(100) NOT NULL, \"body\" text NOT NULL);\nCOMMIT;\n");
  EXPECT_FALSE(has_table("notes_note"));
  auto back = run({"sqlmigrate", "notes", "0001_initial", "--backwards"});
  EXPECT_NE(back.out.find("DROP TABLE \"notes_note\";"), std::string::npos);
}

TEST_F(ManagementTest, SqlmigratePrintsPostgresqlSqlForAPostgresqlAliasWithoutAServer) {
  // The vendor comes from DATABASES, not a connection: the host does not exist and is never contacted.
  auto sqlite = duet::db::database_settings("default");
  duet::db::DatabaseSettings pg;
  pg.engine = "postgresql";
  pg.host = "/nonexistent";
  pg.name = "notes";
  duet::db::configure({{"default", sqlite}, {"pg", pg}});
  register_initial();
  auto r = run({"sqlmigrate", "notes", "0001", "--database", "pg"});
  ASSERT_EQ(r.code, 0) << r.err;
  // What Django 3.2's sqlmigrate prints for this model on PostgreSQL (DEFAULT_AUTO_FIELD = BigAutoField).
  EXPECT_EQ(
      r.out,
      "BEGIN;\n--\n-- Create model Note\n--\nCREATE TABLE \"notes_note\" (\"id\" bigserial NOT NULL PRIMARY "
      "KEY, \"title\" varchar(100) NOT NULL, \"body\" text NOT NULL);\nCOMMIT;\n");
  auto back = run({"sqlmigrate", "notes", "0001_initial", "--backwards", "--database", "pg"});
  EXPECT_NE(back.out.find("DROP TABLE \"notes_note\" CASCADE;"), std::string::npos) << back.out;
}

TEST_F(ManagementTest, ErrorsAndUsage) {
  EXPECT_EQ(run({"frobnicate"}).code, 2);
  auto bad_opt = run({"migrate", "--fake-initial"});
  EXPECT_EQ(bad_opt.code, 2);
  EXPECT_NE(bad_opt.err.find("unrecognized arguments: --fake-initial"), std::string::npos);
  auto missing = run({"sqlmigrate", "notes"});
  EXPECT_EQ(missing.code, 2);
  auto unknown_app = run({"migrate", "nope"});
  EXPECT_EQ(unknown_app.code, 1);
  EXPECT_EQ(unknown_app.err, "CommandError: App 'nope' does not have migrations.\n");
  register_initial();
  auto unknown_migration = run({"sqlmigrate", "notes", "0042"});
  EXPECT_EQ(unknown_migration.code, 1);
  EXPECT_NE(unknown_migration.err.find("Cannot find a migration matching '0042' from app 'notes'."),
            std::string::npos);
  auto help = run({"help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("    makemigrations\n"), std::string::npos);
  EXPECT_NE(run({"makemigrations", "nope"}).err.find("No installed app with label 'nope'."),
            std::string::npos);
}

}  // namespace
