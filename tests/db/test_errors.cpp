// Server errors through the ORM: the Django exception on each backend (with the SQLSTATE on PostgreSQL), and
// a lost PostgreSQL connection (OperationalError, then the next statement reconnects).
#include <gtest/gtest.h>

#include "duet/db/backends/postgresql/sync.hpp"
#include "models.hpp"

namespace db = duet::db;
using blog::Author;
using blog::Book;
using duet::db::testing::DbTest;

namespace {

template <class Exception, class Fn>
Exception caught(Fn fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e;
  }
  ADD_FAILURE() << "no exception of the expected type";
  return Exception("none");
}

}  // namespace

TEST_F(DbTest, UniqueViolationOnSaveIsIntegrityError) {
  Author::objects().create({{"name", "Ann"}});
  Author again;
  again.name = "Ann";
  auto e = caught<db::IntegrityError>([&] { again.save(); });
  EXPECT_EQ(e.sqlstate(), postgresql() ? "23505" : "");  // unique_violation; SQLite has no SQLSTATE
  EXPECT_EQ(Author::objects().count(), 1);
}

TEST_F(DbTest, NotNullViolationIsIntegrityError) {
  auto& c = db::connection();
  auto e = caught<db::IntegrityError>([&] {
    c.execute("INSERT INTO blog_author (name, bio) VALUES (?, ?)", {nullptr, ""});
  });
  EXPECT_EQ(e.sqlstate(), postgresql() ? "23502" : "");
}

// Django on each backend: PostgreSQL enforces varchar(n) (DataError, 22001); SQLite stores the longer text.
TEST_F(DbTest, TooLongTextIsDataErrorOnPostgresqlOnly) {
  auto author = Author::objects().create({{"name", "Ann"}});
  Book book;
  book.title = "Dune";
  book.author = author;
  book.status = "published";  // max_length 1
  if (postgresql()) {
    auto e = caught<db::DataError>([&] { book.save(); });
    EXPECT_EQ(e.sqlstate(), "22001");
    EXPECT_EQ(Book::objects().count(), 0);
  } else {
    book.save();
    EXPECT_EQ(Book::objects().get("pk", book.pk()).status.value(), "published");
  }
}

// No such table: ProgrammingError on PostgreSQL (42P01, as psycopg2 raises it), OperationalError on SQLite.
TEST_F(DbTest, MissingTableErrorIsTheBackendsClass) {
  auto& c = db::connection();
  if (postgresql()) {
    auto e = caught<db::ProgrammingError>([&] { c.query("SELECT * FROM no_such_table"); });
    EXPECT_EQ(e.sqlstate(), "42P01");
  } else {
    EXPECT_THROW(c.query("SELECT * FROM no_such_table"), db::OperationalError);
  }
}

// PostgreSQL aborts the whole transaction on an error; the savepoint of an inner atomic block is what lets
// the outer one go on (Django's pattern for an expected IntegrityError).
TEST_F(DbTest, ErrorInsideSavepointLeavesTheOuterTransactionUsable) {
  Author::objects().create({{"name", "Ann"}});
  {
    db::transaction::atomic outer;
    Author::objects().create({{"name", "Bob"}});
    try {
      db::transaction::atomic inner;
      Author::objects().create({{"name", "Ann"}});
      FAIL() << "expected IntegrityError";
    } catch (const db::IntegrityError&) {
    }
    EXPECT_EQ(Author::objects().count(), 2);
  }
  EXPECT_EQ(Author::objects().count(), 2);
  EXPECT_FALSE(db::connection().in_transaction());
}

TEST_F(DbTest, LostConnectionIsOperationalErrorAndTheNextUseReconnects) {
  if (!postgresql()) GTEST_SKIP() << "a server connection to lose: PostgreSQL only";
  auto& c = db::connection();
  Author::objects().create({{"name", "Ann"}});
  auto pid = c.query("SELECT pg_backend_pid()").at(0).at(0).as_int();
  {
    // Another session ends this thread's backend, as a server restart or an idle timeout would.
    db::postgresql::Config config;
    config.conninfo = settings_.conninfo();
    db::postgresql::SyncConnection admin(config);
    auto killed = admin.query("SELECT pg_terminate_backend($1)", {pid});
    ASSERT_EQ(killed.rows.at(0).at(0).as_int(), 1);
  }
  EXPECT_THROW(Author::objects().count(), db::OperationalError);
  // Same Connection object, new session.
  EXPECT_EQ(Author::objects().count(), 1);
  EXPECT_NE(c.query("SELECT pg_backend_pid()").at(0).at(0).as_int(), pid);
  EXPECT_EQ(&c, &db::connection());
}

// Inside a transaction a lost session is not silently replaced: the rest of the block would run in
// autocommit and its COMMIT would be a no-op. Every statement fails until the block ends; then the next use
// reconnects.
TEST_F(DbTest, LostConnectionInsideAtomicFailsUntilTheBlockEnds) {
  if (!postgresql()) GTEST_SKIP() << "a server connection to lose: PostgreSQL only";
  auto& c = db::connection();
  auto kill = [&] {
    auto pid = c.query("SELECT pg_backend_pid()").at(0).at(0).as_int();
    db::postgresql::Config config;
    config.conninfo = settings_.conninfo();
    db::postgresql::SyncConnection admin(config);
    ASSERT_EQ(admin.query("SELECT pg_terminate_backend($1)", {pid}).rows.at(0).at(0).as_int(), 1);
  };
  EXPECT_THROW(
      {
        db::transaction::atomic tx;
        Author::objects().create({{"name", "Ann"}});
        kill();
        EXPECT_THROW(Author::objects().create({{"name", "Bob"}}), db::OperationalError);
        // Caught and carried on: still refused, not run in autocommit on a new session.
        EXPECT_THROW(Author::objects().create({{"name", "Cid"}}), db::OperationalError);
        EXPECT_TRUE(c.in_transaction());
      },  // the block's COMMIT fails too
      db::OperationalError);
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(Author::objects().count(), 0);  // reconnected; nothing of the block was kept
  Author::objects().create({{"name", "Dan"}});
  EXPECT_EQ(Author::objects().count(), 1);
}
