// The Connection API on each backend (SQLite's own pragmas and files: test_connection.cpp): values, errors,
// cursors, scripts, transactions state, one connection per thread.
#include <gtest/gtest.h>

#include <thread>

#include "models.hpp"

namespace db = duet::db;
using blog::Author;
using duet::db::testing::DbTest;

TEST_F(DbTest, VendorIsTheConfiguredBackend) {
  EXPECT_EQ(db::connection().vendor(), postgresql() ? "postgresql" : "sqlite");
  EXPECT_EQ(db::vendor_of("default"), db::connection().vendor());
  EXPECT_EQ(db::connection().native() != nullptr, !postgresql());
}

TEST_F(DbTest, ValuesAreBoundAndRoundTripOnEachBackend) {
  auto& c = db::connection();
  c.execute_script(postgresql() ? "CREATE TABLE t (a bigint, b double precision, c text, d bytea, e text)"
                                : "CREATE TABLE t (a, b, c, d, e)");
  std::string evil = "x'); DROP TABLE t; -- ?";
  c.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", {42, 2.5, evil, db::Blob{0, 1, 255}, nullptr});
  auto rows = c.query("SELECT a, b, c, d, e FROM t WHERE c = ?", {evil});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], db::Value(42));
  EXPECT_EQ(rows[0][1], db::Value(2.5));
  EXPECT_EQ(rows[0][2], db::Value(evil));
  EXPECT_EQ(rows[0][3], db::Value(db::Blob{0, 1, 255}));
  EXPECT_TRUE(rows[0][4].is_null());
}

TEST_F(DbTest, WrongNumberOfValuesIsProgrammingError) {
  auto& c = db::connection();
  EXPECT_THROW(c.execute("SELECT ?", {}), db::ProgrammingError);
  EXPECT_THROW(c.execute("SELECT ?", {1, 2}), db::ProgrammingError);
  EXPECT_THROW(c.query("SELEC 1"), db::DatabaseError);
}

TEST_F(DbTest, ForeignKeyViolationIsIntegrityError) {
  auto& c = db::connection();
  try {
    c.execute(
        "INSERT INTO blog_book (title, pages, author_id, in_print, status, created) VALUES "
        "('x', 1, 999, ?, 'd', '2024-01-01')",
        {true});
    FAIL() << "expected IntegrityError";
  } catch (const db::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), postgresql() ? "23503" : "");  // foreign_key_violation
  }
}

TEST_F(DbTest, CursorReadsRowsAtTheCallersPace) {
  auto& c = db::connection();
  c.execute_script("CREATE TABLE n (v integer); INSERT INTO n VALUES (1), (2), (3)");
  auto cur = c.cursor("SELECT v FROM n WHERE v >= ? ORDER BY v", {2});
  EXPECT_EQ(cur->column_count(), 1u);
  db::Row row;
  std::vector<std::int64_t> seen;
  while (cur->fetch(row))
    seen.push_back(row[0].as_int());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{2, 3}));
  EXPECT_FALSE(cur->fetch(row));
}

TEST_F(DbTest, InTransactionFollowsAtomicBlocks) {
  auto& c = db::connection();
  EXPECT_FALSE(c.in_transaction());
  {
    db::transaction::atomic tx;
    EXPECT_TRUE(c.in_transaction());
    Author::objects().create({{"name", "Ann"}});
  }
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(Author::objects().count(), 1);
}

TEST_F(DbTest, OneConnectionPerThreadOnEachBackend) {
  auto* here = &db::connections["default"];
  EXPECT_EQ(here, &db::connections["default"]);
  db::Connection* there = nullptr;
  std::int64_t seen = -1;
  Author::objects().create({{"name", "Ann"}});
  std::thread([&] {
    there = &db::connections["default"];
    seen = Author::objects().count();
    db::connections.close_all();
  }).join();
  EXPECT_NE(here, there);
  EXPECT_EQ(seen, 1);
}

TEST_F(DbTest, BooleansAndDatesRoundTripThroughTheOrm) {
  auto ann = Author::objects().create({{"name", "Ann"}});
  blog::Book b;
  b.title = "Dune";
  b.author = ann;
  b.in_print = false;
  b.published = db::parse_datetime("2024-02-29 23:59:58.5");
  b.save();
  auto got = blog::Book::objects().get("pk", b.pk());
  EXPECT_FALSE(got.in_print.value());
  EXPECT_EQ(db::format_datetime(got.published.value()), "2024-02-29 23:59:58.500000");
  EXPECT_EQ(blog::Book::objects().filter("in_print", false).count(), 1);
  EXPECT_EQ(blog::Book::objects().filter("published__year", 2024).filter("published__month", 2).count(), 1);
  EXPECT_EQ(blog::Book::objects().filter("published__second", 58).count(), 1);
  EXPECT_EQ(blog::Book::objects().filter("published__week_day", 5).count(), 1);  // a Thursday
  EXPECT_EQ(blog::Book::objects().filter("published__date", "2024-02-29").count(), 1);
  EXPECT_EQ(blog::Book::objects().filter("created__isnull", false).count(), 1);
}

// A statement prepared (and cached) before its table changed shape still runs: SQLite re-prepares it,
// PostgreSQL's cached plan ("must not change result type") is dropped and the statement run again.
TEST_F(DbTest, CachedStatementSurvivesATableChange) {
  auto& c = db::connection();
  c.execute_script("CREATE TABLE shape (a integer); INSERT INTO shape VALUES (1)");
  EXPECT_EQ(c.query("SELECT * FROM shape WHERE a = ?", {1}).at(0).size(), 1u);
  c.execute_script("ALTER TABLE shape ADD COLUMN b integer");
  EXPECT_EQ(c.query("SELECT * FROM shape WHERE a = ?", {1}).at(0).size(), 2u);
  EXPECT_EQ(c.query("SELECT * FROM shape WHERE a = ?", {1}).at(0).size(), 2u);
}

// On PostgreSQL a cursor is a server-side one read 2000 rows at a time (Django's iterator()): other
// statements run between fetches, an early exit frees it, inside a transaction too.
TEST_F(DbTest, CursorStreamsInChunksBesideOtherStatements) {
  auto& c = db::connection();
  c.execute_script("CREATE TABLE many (v integer)");
  c.execute(
      "INSERT INTO many (v) WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ?) "
      "SELECT v FROM s",
      {4500});
  std::int64_t n = 0, sum = 0;
  {
    auto cur = c.cursor("SELECT v FROM many WHERE v > ? ORDER BY v", {0});
    db::Row row;
    while (cur->fetch(row)) {
      ++n;
      sum += row.at(0).as_int();
      if (n % 1000 == 0) EXPECT_EQ(c.query("SELECT count(*) FROM many").at(0).at(0).as_int(), 4500);
    }
  }
  EXPECT_EQ(n, 4500);
  EXPECT_EQ(sum, 4500 * 4501 / 2);
  {
    db::transaction::atomic tx;
    {
      auto first = c.cursor("SELECT v FROM many ORDER BY v");
      auto second = c.cursor("SELECT v FROM many ORDER BY v DESC");
      db::Row a, b;
      ASSERT_TRUE(first->fetch(a));
      ASSERT_TRUE(second->fetch(b));
      EXPECT_EQ(a.at(0).as_int(), 1);
      EXPECT_EQ(b.at(0).as_int(), 4500);
    }  // both left early
    c.execute("DELETE FROM many WHERE v > ?", {10});
  }
  auto cur = c.cursor("SELECT count(*) FROM many");
  db::Row row;
  ASSERT_TRUE(cur->fetch(row));
  EXPECT_EQ(row.at(0).as_int(), 10);
  EXPECT_FALSE(cur->fetch(row));
}

// The session runs in UTC whatever the server's default, also when OPTIONS sets other server settings (the test
// cluster's default is "Etc/UTC": "UTC" is the session setting).
TEST_F(DbTest, SessionTimeZoneIsUtcWithUserOptions) {
  if (!postgresql()) GTEST_SKIP() << "a server session setting: PostgreSQL only";
  auto s = settings_;
  s.options["options"] = "-c statement_timeout=4321";
  db::configure({{"default", s}});
  auto& c = db::connection();
  EXPECT_EQ(c.query("SELECT current_setting('TimeZone')").at(0).at(0).as_string(), "UTC");
  EXPECT_EQ(c.query("SELECT current_setting('statement_timeout')").at(0).at(0).as_string(), "4321ms");
}
