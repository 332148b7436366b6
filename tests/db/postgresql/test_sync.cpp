// The sync API: blocking libpq on the calling thread, a persistent connection per thread, refused on a loop.
#include <thread>

#include "db/postgresql/pg_test.hpp"
#include "duet/db/backends/postgresql/sync.hpp"

namespace pg = duet::db::postgresql;
namespace db = duet::db;
using duet::Task;
using pg::testing::config;

TEST(PgSync, QueryTypesAndErrors) {
  auto& conn = pg::sync_connection(config());
  std::vector<db::Value> p{41, "x", db::Blob{1, 0, 2}};
  auto r = conn.query("SELECT $1::int + 1, $2::text, $3::bytea, now()::timestamptz IS NOT NULL", p);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0].as_int(), 42);
  EXPECT_EQ(r.rows[0][1].as_string(), "x");
  EXPECT_EQ(r.rows[0][2].as_blob(), (db::Blob{1, 0, 2}));
  EXPECT_TRUE(r.rows[0][3].as_bool());
  std::string state;
  try {
    conn.query("SELECT 1/0");
  } catch (const db::DataError& e) {
    state = e.sqlstate();
  }
  EXPECT_EQ(state, "22012");
  EXPECT_THROW(conn.query("SELECT * FROM duet_missing"), db::ProgrammingError);
  EXPECT_EQ(conn.query("SELECT 3").rows[0][0].as_int(), 3);
}

TEST(PgSync, OneConnectionPerThreadReused) {
  auto& a = pg::sync_connection(config());
  auto& b = pg::sync_connection(config());
  EXPECT_EQ(&a, &b);
  int here = a.backend_pid();
  int there = 0;
  std::thread t([&] { there = pg::sync_connection(config()).backend_pid(); });
  t.join();
  EXPECT_NE(here, 0);
  EXPECT_NE(there, 0);
  EXPECT_NE(here, there);
  EXPECT_EQ(pg::sync_connection(config()).backend_pid(), here);
}

TEST(PgSync, RefusedOnTheEventLoop) {
  bool refused = false;
  pg::testing::run([&refused]() -> Task<void> {
    try {
      pg::sync_connection(config()).query("SELECT 1");
    } catch (const duet::SynchronousOnlyOperation&) {
      refused = true;
    }
    co_return;
  });
  EXPECT_TRUE(refused);
}

TEST(PgSync, ReconnectsAfterItsBackendIsKilled) {
  auto& conn = pg::sync_connection(config());
  int pid = conn.backend_pid();
  pg::SyncConnection killer(config());
  std::vector<db::Value> p{pid};
  killer.query("SELECT pg_terminate_backend($1)", p);
  EXPECT_THROW(conn.query("SELECT 1"), db::OperationalError);
  auto r = conn.query("SELECT pg_backend_pid()");
  EXPECT_NE(r.rows[0][0].as_int(), pid);
  EXPECT_EQ(conn.connects(), 2u);
}
