// SQLite's own connection: pragmas, untyped columns, its error classes; and the settings parsing that needs
// no database. SQLite only (the same API on each backend: test_backend.cpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "models.hpp"

namespace db = duet::db;
using duet::db::testing::DbTest;

namespace {
// Always SQLite, also when DUET_TEST_DATABASE names another backend.
class SqliteConnection : public DbTest {
 protected:
  void SetUp() override {
    ::unsetenv("DUET_TEST_DATABASE");
    DbTest::SetUp();
  }
};
}  // namespace

TEST(DatabaseUrl, ParsesSqliteForms) {
  EXPECT_EQ(db::DatabaseSettings::from_url("sqlite:///db.sqlite3").name, "db.sqlite3");
  EXPECT_EQ(db::DatabaseSettings::from_url("sqlite:////var/lib/app/db.sqlite3").name,
            "/var/lib/app/db.sqlite3");
  EXPECT_EQ(db::DatabaseSettings::from_url("sqlite://:memory:").name, ":memory:");
}

TEST(DatabaseUrl, RejectsOtherSchemesAndMalformedUrls) {
  EXPECT_THROW(db::DatabaseSettings::from_url("mysql://u@h/db"), db::ImproperlyConfigured);
  EXPECT_THROW(db::DatabaseSettings::from_url("sqlite://"), db::ImproperlyConfigured);
  EXPECT_THROW(db::DatabaseSettings::from_url("sqlite:///"), db::ImproperlyConfigured);
  EXPECT_THROW(db::DatabaseSettings::from_url("mysql"), db::ImproperlyConfigured);
}

TEST(Configure, FromEnvironmentAndUnknownAlias) {
  ::setenv("DATABASE_URL", "sqlite://:memory:", 1);
  ASSERT_TRUE(db::configure_from_env());
  EXPECT_EQ(db::database_settings().name, ":memory:");
  ::unsetenv("DATABASE_URL");
  EXPECT_FALSE(db::configure_from_env());
  try {
    db::database_settings("replica");
    FAIL() << "expected ImproperlyConfigured";
  } catch (const db::ImproperlyConfigured& e) {
    EXPECT_NE(std::string(e.what()).find("'replica' doesn't exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("default"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db::configure({{"default", {.engine = "oracle", .name = "x"}}}), db::ImproperlyConfigured);
  EXPECT_THROW(db::configure({{"default", {.engine = "sqlite", .name = ""}}}), db::ImproperlyConfigured);
}

TEST_F(SqliteConnection, PragmasAreSet) {
  auto& c = db::connection();
  EXPECT_EQ(c.query("PRAGMA journal_mode")[0][0].as_string(), "wal");
  EXPECT_EQ(c.query("PRAGMA foreign_keys")[0][0].as_int(), 1);
  EXPECT_EQ(c.query("PRAGMA busy_timeout")[0][0].as_int(), 5000);
}

TEST_F(SqliteConnection, OneConnectionPerThreadReusedOnThatThread) {
  auto* here = &db::connections["default"];
  EXPECT_EQ(here, &db::connections["default"]);
  db::Connection* there = nullptr;
  std::thread([&] { there = &db::connections["default"]; }).join();
  EXPECT_NE(here, there);
}

TEST_F(SqliteConnection, ValuesAreBoundAndRoundTrip) {
  auto& c = db::connection();
  c.execute_script("CREATE TABLE t (a, b, c, d, e)");
  std::string evil = "x'); DROP TABLE t; --";
  c.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", {42, 2.5, evil, db::Blob{1, 2, 3}, nullptr});
  auto rows = c.query("SELECT a, b, c, d, e FROM t");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as_int(), 42);
  EXPECT_DOUBLE_EQ(rows[0][1].as_double(), 2.5);
  EXPECT_EQ(rows[0][2].as_string(), evil);
  EXPECT_EQ(rows[0][3].as_blob(), (db::Blob{1, 2, 3}));
  EXPECT_TRUE(rows[0][4].is_null());
}

TEST_F(SqliteConnection, ErrorsMapToDjangoNames) {
  auto& c = db::connection();
  c.execute("INSERT INTO blog_author (name, bio) VALUES (?, ?)", {"Ann", ""});
  EXPECT_THROW(c.execute("INSERT INTO blog_author (name, bio) VALUES (?, ?)", {"Ann", ""}),
               db::IntegrityError);
  EXPECT_THROW(c.execute("INSERT INTO blog_author (name, bio) VALUES (?, ?)", {nullptr, ""}),
               db::IntegrityError);
  EXPECT_THROW(c.query("SELECT * FROM no_such_table"), db::OperationalError);
  EXPECT_THROW(c.execute("SELEC 1"), db::OperationalError);
  EXPECT_THROW(c.execute("SELECT ?", {}), db::ProgrammingError);
  EXPECT_THROW(c.execute("SELECT ?", {1, 2}), db::ProgrammingError);
  // Every one of them is a DatabaseError.
  EXPECT_THROW(c.execute("INSERT INTO blog_author (name, bio) VALUES (?, ?)", {"Ann", ""}),
               db::DatabaseError);
}

TEST_F(SqliteConnection, ForeignKeysAreEnforcedAtCommit) {
  auto& c = db::connection();
  EXPECT_THROW(c.execute("INSERT INTO blog_book (title, pages, author_id, in_print, status, created) VALUES "
                         "('x', 1, 999, 1, 'd', '2024-01-01')"),
               db::IntegrityError);
}

TEST_F(SqliteConnection, CursorStreamsRows) {
  auto& c = db::connection();
  c.execute_script("CREATE TABLE n (v); INSERT INTO n VALUES (1), (2), (3)");
  auto cur = c.cursor("SELECT v FROM n WHERE v >= ? ORDER BY v", {2});
  db::Row row;
  std::vector<std::int64_t> seen;
  while (cur->fetch(row))
    seen.push_back(row[0].as_int());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{2, 3}));
  EXPECT_FALSE(cur->fetch(row));
}

TEST(Value, DateTimeRoundTripAndBadInput) {
  using namespace std::chrono;
  db::DateTime t = sys_days(year(2024) / 5 / 1) + hours(12) + minutes(30) + microseconds(250000);
  EXPECT_EQ(db::format_datetime(t), "2024-05-01 12:30:00.250000");
  EXPECT_EQ(db::parse_datetime("2024-05-01 12:30:00.250000"), t);
  EXPECT_EQ(db::parse_datetime("2024-05-01T12:30:00.25Z"), t);
  EXPECT_THROW(db::parse_datetime("2024-13-01"), db::DataError);
  EXPECT_THROW(db::parse_datetime("yesterday"), db::DataError);
  EXPECT_THROW(db::Value("abc").as_int(), db::DataError);
  EXPECT_THROW(db::Value().as_string(), db::DataError);
}
