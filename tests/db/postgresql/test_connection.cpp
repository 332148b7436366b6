// AsyncConnection against the throw-away cluster: type mapping, errors with SQLSTATE, pipelining, prepared
// statements, LISTEN/NOTIFY, and a backend killed under a running query.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <limits>

#include "db/postgresql/pg_test.hpp"
#include "duet/runtime/gather.hpp"

namespace pg = duet::db::postgresql;
namespace db = duet::db;
using duet::Task;
using pg::testing::config;
using pg::testing::run;

TEST(PgConnection, ConnectsAndRunsAQuery) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    EXPECT_TRUE(conn.is_open());
    EXPECT_GT(conn.backend_pid(), 0);
    auto r = co_await conn.query("SELECT 1 AS one, 'two' AS two");
    EXPECT_EQ(r.rows.size(), 1u);
    if (r.rows.size() != 1u) co_return;
    EXPECT_EQ(r.columns, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(r.rows[0][0].as_int(), 1);
    EXPECT_EQ(r.rows[0][1].as_string(), "two");
  });
}

TEST(PgConnection, BadServerIsOperationalError) {
  run([]() -> Task<void> {
    pg::Config bad;
    bad.conninfo = "host=127.0.0.1 port=1 user=duet dbname=duet";
    bool thrown = false;
    try {
      co_await pg::AsyncConnection::connect(bad);
    } catch (const db::OperationalError& e) {
      thrown = true;
      EXPECT_NE(std::string(e.what()).find("could not connect"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(thrown);
  });
}

TEST(PgConnection, TypesRoundTrip) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    co_await conn.execute("DROP TABLE IF EXISTS duet_types");
    co_await conn.execute(
        "CREATE TABLE duet_types (i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(10,2), b bool, "
        "t text, v varchar(20), by bytea, ts timestamp, tz timestamptz, d date, u uuid, j json, jb jsonb)");
    db::Blob bytes{0x00, 0x01, 0xff, 0x7f, '\\', '\''};
    std::vector<db::Value> params{7,
                                  70000,
                                  std::int64_t{1} << 40,
                                  1.5,
                                  0.1,
                                  "12.50",
                                  true,
                                  "héllo 世界",
                                  "short",
                                  bytes,
                                  "2024-05-01 12:30:00.250000",
                                  "2024-05-01 12:30:00.000001",
                                  "2024-02-29",
                                  "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                                  "{\"a\": [1, 2]}",
                                  "{\"b\":  true}"};
    auto inserted = co_await conn.execute(
        "INSERT INTO duet_types VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
        "$16)",
        params);
    EXPECT_EQ(inserted, 1);
    std::vector<db::Value> nulls(16);
    co_await conn.execute(
        "INSERT INTO duet_types VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
        "$16)",
        nulls);
    auto r = co_await conn.query("SELECT * FROM duet_types ORDER BY i2 NULLS LAST");
    EXPECT_EQ(r.rows.size(), 2u);
    if (r.rows.size() != 2u) co_return;
    const auto& row = r.rows[0];
    EXPECT_EQ(row[0].as_int(), 7);
    EXPECT_EQ(row[1].as_int(), 70000);
    EXPECT_EQ(row[2].as_int(), std::int64_t{1} << 40);
    EXPECT_TRUE(row[3].is_double());
    EXPECT_DOUBLE_EQ(row[3].as_double(), 1.5);
    EXPECT_DOUBLE_EQ(row[4].as_double(), 0.1);
    EXPECT_EQ(row[5].as_string(), "12.50");
    EXPECT_TRUE(row[6].is_int());
    EXPECT_TRUE(row[6].as_bool());
    EXPECT_EQ(row[7].as_string(), "héllo 世界");
    EXPECT_EQ(row[8].as_string(), "short");
    EXPECT_EQ(row[9].as_blob(), bytes);
    EXPECT_EQ(row[10].as_string(), "2024-05-01 12:30:00.250000");
    EXPECT_EQ(row[11].as_string(), "2024-05-01 12:30:00.000001");
    EXPECT_EQ(row[11].as_datetime(), db::parse_datetime("2024-05-01T12:30:00.000001Z"));
    EXPECT_EQ(row[12].as_date(),
              db::Date(std::chrono::year(2024), std::chrono::month(2), std::chrono::day(29)));
    EXPECT_EQ(row[13].as_string(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    EXPECT_EQ(row[14].as_json().at("a").as_array().size(), 2u);
    EXPECT_EQ(row[15].as_string(), "{\"b\": true}");  // jsonb normalizes
    for (const auto& v : r.rows[1])
      EXPECT_TRUE(v.is_null());
    // Booleans go in as the ORM gives them (integers) and come back as integers.
    std::vector<db::Value> flag{false};
    auto f = co_await conn.query("SELECT count(*) FROM duet_types WHERE b = $1", flag);
    EXPECT_EQ(f.rows[0][0].as_int(), 0);
    auto special = co_await conn.query("SELECT 'NaN'::float8, '-Infinity'::float8, ''::bytea, ''::text");
    EXPECT_TRUE(std::isnan(special.rows[0][0].as_double()));
    EXPECT_TRUE(std::isinf(special.rows[0][1].as_double()));
    EXPECT_TRUE(special.rows[0][2].as_blob().empty());
    EXPECT_EQ(special.rows[0][3].as_string(), "");
  });
}

TEST(PgConnection, ErrorsCarrySqlstate) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    co_await conn.execute("DROP TABLE IF EXISTS duet_err");
    co_await conn.execute("CREATE TABLE duet_err (id int PRIMARY KEY, name text NOT NULL)");
    std::vector<db::Value> row{1, "a"};
    co_await conn.execute("INSERT INTO duet_err VALUES ($1, $2)", row);
    std::string state;
    try {
      co_await conn.execute("INSERT INTO duet_err VALUES ($1, $2)", row);
    } catch (const db::IntegrityError& e) {
      state = e.sqlstate();
    }
    EXPECT_EQ(state, "23505");  // unique_violation
    state.clear();
    std::vector<db::Value> null_name{2, nullptr};
    try {
      co_await conn.execute("INSERT INTO duet_err VALUES ($1, $2)", null_name);
    } catch (const db::IntegrityError& e) {
      state = e.sqlstate();
    }
    EXPECT_EQ(state, "23502");  // not_null_violation
    state.clear();
    try {
      co_await conn.query("SELECT * FROM duet_no_such_table");
    } catch (const db::ProgrammingError& e) {
      state = e.sqlstate();
      EXPECT_NE(std::string(e.what()).find("duet_no_such_table"), std::string::npos);
    }
    EXPECT_EQ(state, "42P01");  // undefined_table
    state.clear();
    try {
      co_await conn.query("SELECT 1/0");
    } catch (const db::DataError& e) {
      state = e.sqlstate();
    }
    EXPECT_EQ(state, "22012");  // division_by_zero
    state.clear();
    std::vector<db::Value> not_int{"abc"};
    try {
      co_await conn.query("SELECT $1::int", not_int);
    } catch (const db::DataError& e) {
      state = e.sqlstate();
    }
    EXPECT_EQ(state, "22P02");  // invalid_text_representation
    state.clear();
    try {
      co_await conn.query("SELEC 1");
    } catch (const db::ProgrammingError& e) {
      state = e.sqlstate();
    }
    EXPECT_EQ(state, "42601");  // syntax_error
    // The connection is still fine after all of that.
    auto ok = co_await conn.query("SELECT count(*) FROM duet_err");
    EXPECT_EQ(ok.rows[0][0].as_int(), 1);
    EXPECT_TRUE(conn.is_open());
  });
}

TEST(PgConnection, NulInTextIsDataErrorNotACrash) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    std::vector<db::Value> bad{std::string("a\0b", 3)};
    EXPECT_THROW(co_await conn.query("SELECT $1::text", bad), db::DataError);
    auto ok = co_await conn.query("SELECT 1");
    EXPECT_EQ(ok.rows[0][0].as_int(), 1);
  });
}

namespace {
Task<std::int64_t> doubled(pg::AsyncConnection& conn, int i, std::size_t& max_in_flight) {
  std::vector<db::Value> p{i};
  // The first query holds the server for half a second: the others are sent (pipelined) meanwhile, so the
  // check below does not depend on how fast this machine runs the loop.
  std::string sql = i == 0 ? "SELECT $1::int8 * 2 FROM pg_sleep(0.5)" : "SELECT $1::int8 * 2";
  auto r = co_await conn.query(sql, p);
  max_in_flight = std::max(max_in_flight, conn.in_flight());
  co_return r.rows.at(0).at(0).as_int();
}

Task<std::string> outcome(pg::AsyncConnection& conn, std::string sql) {
  try {
    auto r = co_await conn.query(std::move(sql));
    co_return r.rows.at(0).at(0).as_string();
  } catch (const db::DatabaseError& e) {
    co_return "error " + e.sqlstate();
  }
}
}  // namespace

TEST(PgConnection, PipelinedGatherOfAHundredQueriesOnOneConnection) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    std::size_t max_in_flight = 0;
    std::vector<Task<std::int64_t>> tasks;
    for (int i = 0; i < 100; ++i)
      tasks.push_back(doubled(conn, i, max_in_flight));
    auto results = co_await duet::gather(std::move(tasks));
    EXPECT_EQ(results.size(), 100u);
    if (results.size() != 100u) co_return;
    for (int i = 0; i < 100; ++i)
      EXPECT_EQ(results[i], 2 * i) << i;
    // They were in flight together on the one connection, not one after another.
    EXPECT_GT(max_in_flight, 1u);
    EXPECT_EQ(conn.in_flight(), 0u);
    EXPECT_EQ(conn.prepared_statements(), 2u);  // two statement texts, each prepared once
  });
}

TEST(PgConnection, AFailingQueryDoesNotPoisonItsNeighbours) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    std::vector<Task<std::string>> tasks;
    tasks.push_back(outcome(conn, "SELECT 'a'"));
    tasks.push_back(outcome(conn, "SELECT 1/0"));
    tasks.push_back(outcome(conn, "SELECT 'c'"));
    tasks.push_back(outcome(conn, "SELECT * FROM duet_nothing_here"));
    tasks.push_back(outcome(conn, "SELECT 'e'"));
    auto results = co_await duet::gather(std::move(tasks));
    EXPECT_EQ(results, (std::vector<std::string>{"a", "error 22012", "c", "error 42P01", "e"}));
  });
}

TEST(PgConnection, PreparedStatementCache) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    for (int i = 0; i < 3; ++i) {
      std::vector<db::Value> p{i};
      auto r = co_await conn.query("SELECT $1::int + 1", p);
      EXPECT_EQ(r.rows[0][0].as_int(), i + 1);
    }
    EXPECT_EQ(conn.prepared_statements(), 1u);
    co_await conn.query("SELECT 2");
    EXPECT_EQ(conn.prepared_statements(), 2u);
    // A statement that fails to prepare is not kept: the same text fails the same way again, not with
    // "prepared statement does not exist".
    for (int i = 0; i < 2; ++i) {
      std::string state;
      try {
        co_await conn.query("SELECT nope FROM nowhere");
      } catch (const db::ProgrammingError& e) {
        state = e.sqlstate();
      }
      EXPECT_EQ(state, "42P01");
    }
    EXPECT_EQ(conn.prepared_statements(), 2u);
    auto pids = co_await conn.query("SELECT count(*) FROM pg_prepared_statements");
    EXPECT_EQ(pids.rows[0][0].as_int(), 3);  // and this one
  });
}

TEST(PgConnection, ListenNotify) {
  run([]() -> Task<void> {
    auto listener = co_await pg::AsyncConnection::connect(config());
    auto sender = co_await pg::AsyncConnection::connect(config());
    co_await listener.listen("duet_events");
    std::vector<db::Value> first{"duet_events", "hello"};
    co_await sender.query("SELECT pg_notify($1, $2)", first);
    std::vector<db::Value> second{"duet_events", "world"};
    co_await sender.query("SELECT pg_notify($1, $2)", second);
    auto a = co_await listener.next_notification();
    EXPECT_EQ(a.channel, "duet_events");
    EXPECT_EQ(a.payload, "hello");
    EXPECT_EQ(a.sender_pid, sender.backend_pid());
    auto b = co_await listener.next_notification();
    EXPECT_EQ(b.payload, "world");
    // A notification sent while the listener is waiting wakes it.
    auto executor = co_await boost::asio::this_coro::executor;
    std::vector<db::Value> third{"duet_events", "later"};
    boost::asio::co_spawn(
        executor,
        [&sender, third]() -> Task<void> {
          boost::asio::steady_timer t(co_await boost::asio::this_coro::executor,
                                      std::chrono::milliseconds(20));
          co_await t.async_wait(boost::asio::use_awaitable);
          co_await sender.query("SELECT pg_notify($1, $2)", third);
        },
        boost::asio::detached);
    auto c = co_await listener.next_notification();
    EXPECT_EQ(c.payload, "later");
  });
}

TEST(PgConnection, KilledBackendFailsInFlightQueryWithOperationalError) {
  run([]() -> Task<void> {
    auto victim = co_await pg::AsyncConnection::connect(config());
    auto killer = co_await pg::AsyncConnection::connect(config());
    auto executor = co_await boost::asio::this_coro::executor;
    std::string outcome_text;
    bool done = false;
    boost::asio::co_spawn(
        executor,
        [&]() -> Task<void> {
          try {
            co_await victim.query("SELECT pg_sleep(30)");
            outcome_text = "completed";
          } catch (const db::OperationalError& e) {
            outcome_text = "OperationalError " + e.sqlstate();
          } catch (const std::exception& e) {
            outcome_text = std::string("other: ") + e.what();
          }
          done = true;
        },
        boost::asio::detached);
    // Wait until the sleep is running on the server, then terminate that backend.
    std::vector<db::Value> pid{victim.backend_pid()};
    for (int i = 0; i < 500; ++i) {
      auto r = co_await killer.query(
          "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", pid);
      if (r.rows[0][0].as_int() == 1) break;
    }
    auto killed = co_await killer.query("SELECT pg_terminate_backend($1)", pid);
    EXPECT_TRUE(killed.rows[0][0].as_bool());
    boost::asio::steady_timer t(executor);
    for (int i = 0; i < 1000 && !done; ++i) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(boost::asio::use_awaitable);
    }
    EXPECT_TRUE(done);
    if (!done) co_return;
    EXPECT_EQ(outcome_text.rfind("OperationalError", 0), 0u) << outcome_text;
    EXPECT_TRUE(victim.is_broken());
    // Later queries fail fast with OperationalError too, never a crash.
    EXPECT_THROW(co_await victim.query("SELECT 1"), db::OperationalError);
    // The other connection is unaffected.
    auto ok = co_await killer.query("SELECT 1");
    EXPECT_EQ(ok.rows[0][0].as_int(), 1);
  });
}

namespace {
Task<std::string> read_outcome(pg::AsyncConnection& conn, std::string sql, std::vector<db::Value> params) {
  try {
    auto r = co_await conn.read(std::move(sql), std::move(params));
    co_return r.rows.at(0).at(0).as_string();
  } catch (const db::DatabaseError& e) {
    co_return "error " + e.sqlstate();
  }
}

Task<std::string> write_outcome(pg::AsyncConnection& conn, std::string sql) {
  try {
    co_await conn.execute(std::move(sql));
    co_return "ok";
  } catch (const db::DatabaseError& e) {
    co_return "error " + e.sqlstate();
  }
}

const char* const kStampSql = "SELECT now()::text || $1::text";

// The reads of one turn, each answering with its implicit transaction's start (now() is the transaction's
// timestamp): how many transactions served them.
Task<std::size_t> transactions_of_reads(pg::AsyncConnection& conn, int n) {
  std::vector<Task<std::string>> tasks;
  for (int i = 0; i < n; ++i)
    tasks.push_back(read_outcome(conn, kStampSql, {std::int64_t{0}}));
  auto stamps = co_await duet::gather(std::move(tasks));
  std::sort(stamps.begin(), stamps.end());
  co_return static_cast<std::size_t>(std::unique(stamps.begin(), stamps.end()) - stamps.begin());
}
}  // namespace

TEST(PgConnection, ReadsOfOneTurnShareASyncPoint) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    std::string sql = kStampSql;
    std::vector<db::Value> zero{std::int64_t{0}};
    co_await conn.read(sql, zero);  // prepared now: shareable
    auto transactions = co_await transactions_of_reads(conn, 10);
    EXPECT_LT(transactions, 10u);  // gathered in one turn: fewer implicit transactions than reads
    EXPECT_EQ(conn.in_flight(), 0u);
  });
}

TEST(PgConnection, ReadsAreNotSharedUnderRepeatableReadOrSerializable) {
  run([]() -> Task<void> {
    auto cfg = config();
    cfg.conninfo += " options='-c default_transaction_isolation=serializable'";
    auto conn = co_await pg::AsyncConnection::connect(cfg);
    std::string sql = kStampSql;
    std::vector<db::Value> zero{std::int64_t{0}};
    co_await conn.read(sql, zero);
    EXPECT_EQ(co_await transactions_of_reads(conn, 10), 10u);  // each read its own transaction
  });
}

TEST(PgConnection, AFailedSharedReadDoesNotFailTheReadsAfterIt) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    std::string sql = "SELECT (10 / $1::int8)::text";
    std::vector<db::Value> one{std::int64_t{1}};
    co_await conn.read(sql, one);
    const std::vector<std::int64_t> divisors{1, 2, 0, 5, 10, 0, 1};
    const std::vector<db::Value> not_int{std::string("abc")};
    for (int round = 0; round < 3; ++round) {  // and the connection stays usable for the next group
      std::vector<Task<std::string>> tasks;
      for (std::int64_t d : divisors)
        tasks.push_back(read_outcome(conn, sql, {d}));
      tasks.push_back(read_outcome(conn, sql, not_int));
      tasks.push_back(read_outcome(conn, sql, {std::int64_t{2}}));
      auto results = co_await duet::gather(std::move(tasks));
      EXPECT_EQ(results, (std::vector<std::string>{"10", "5", "error 22012", "2", "1", "error 22012", "10",
                                                   "error 22P02", "5"}));
    }
    EXPECT_EQ(conn.in_flight(), 0u);
    EXPECT_EQ(conn.prepared_statements(), 1u);
  });
}

TEST(PgConnection, AWriteNeverJoinsTheReadsImplicitTransaction) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    co_await conn.execute("DROP TABLE IF EXISTS duet_shared_reads");
    co_await conn.execute("CREATE TABLE duet_shared_reads (x int)");
    std::string sql = "SELECT (10 / $1::int8)::text";
    std::vector<db::Value> one{std::int64_t{1}};
    co_await conn.read(sql, one);
    // Reads before and after an INSERT in one turn, the last failing: had the INSERT shared their sync
    // point, the failure would roll it back with the implicit transaction.
    std::vector<Task<std::string>> tasks;
    tasks.push_back(read_outcome(conn, sql, {std::int64_t{1}}));
    tasks.push_back(write_outcome(conn, "INSERT INTO duet_shared_reads VALUES (1)"));
    tasks.push_back(read_outcome(conn, sql, {std::int64_t{2}}));
    tasks.push_back(read_outcome(conn, sql, {std::int64_t{0}}));
    auto results = co_await duet::gather(std::move(tasks));
    EXPECT_EQ(results, (std::vector<std::string>{"10", "ok", "5", "error 22012"}));
    auto n = co_await conn.query("SELECT count(*) FROM duet_shared_reads");
    EXPECT_EQ(n.rows.at(0).at(0).as_int(), 1);
    co_await conn.execute("DROP TABLE duet_shared_reads");
  });
}

TEST(PgConnection, RawRowsHoldWhatTheConvertedRowsHold) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    auto sql = std::make_shared<const std::string>(
        "SELECT g AS id, CASE WHEN g % 2 = 0 THEN NULL ELSE 'row ' || g END AS label, g * 0.5::float8 AS "
        "half, "
        "decode('00ff', 'hex') AS bytes, g % 3 = 0 AS third FROM generate_series(1, $1::int) AS g");
    std::vector<db::Value> five{std::int64_t{5}};
    auto converted = co_await conn.read(sql, five);
    auto raw = co_await conn.read(sql, five, pg::RowsAs::raw);
    EXPECT_FALSE(converted.raw);
    EXPECT_TRUE(raw.raw);
    EXPECT_TRUE(raw.rows.empty());
    EXPECT_EQ(raw.row_count(), 5u);
    EXPECT_EQ(converted.row_count(), 5u);
    EXPECT_EQ(raw.rows_affected, 5);
    EXPECT_EQ(raw.raw.columns(), 5u);
    for (std::size_t r = 0; r < 5 && r < converted.rows.size(); ++r) {
      EXPECT_EQ(raw.raw.row(r), converted.rows[r]) << "row " << r;
      for (std::size_t c = 0; c < 5; ++c)
        EXPECT_EQ(raw.raw.value(r, c), converted.rows[r][c]) << "row " << r << " column " << c;
    }
    EXPECT_TRUE(raw.raw.value(1, 1).is_null());
    EXPECT_EQ(raw.raw.value(2, 1).as_string(), "row 3");
    // No rows: raw, empty.
    std::vector<db::Value> none{std::int64_t{0}};
    auto empty = co_await conn.read(sql, none, pg::RowsAs::raw);
    EXPECT_EQ(empty.row_count(), 0u);
    // Moved, the result keeps its rows (one owner of libpq's result).
    pg::Result moved = std::move(raw);
    EXPECT_EQ(moved.row_count(), 5u);
    EXPECT_EQ(moved.raw.value(0, 0).as_int(), 1);
  });
}

// The typed reads the ORM fills integer and text fields with: where they answer, they answer what value()
// does; NULLs, other types and integers too long to sum without overflow are left to value().
TEST(PgConnection, RawRowsTypedReadsAgreeWithValue) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    auto sql = std::make_shared<const std::string>(
        "SELECT * FROM (VALUES (1::int4, 'a'::text, -42::int8, ''::varchar, 9223372036854775807::int8, "
        "1.5::float8, '2026-11-27'::date, 7::int2, true), "
        "(NULL, NULL, '-9223372036854775808'::int8, NULL, 0::int8, NULL, NULL, -7::int2, NULL)) AS t");
    std::vector<db::Value> no_params;
    auto r = co_await conn.read(sql, no_params, pg::RowsAs::raw);
    const auto& raw = r.raw;
    EXPECT_EQ(raw.size(), 2u);
    EXPECT_EQ(raw.columns(), 9u);
    for (std::size_t row = 0; row < raw.size(); ++row) {
      for (std::size_t c = 0; c < raw.columns(); ++c) {
        const db::Value v = raw.value(row, c);
        std::int64_t i = 0;
        if (raw.int_at(row, c, i)) {
          EXPECT_TRUE(v.is_int()) << row << "," << c;
          if (v.is_int()) EXPECT_EQ(v.as_int(), i) << row << "," << c;
        }
        std::string_view t;
        if (raw.text_at(row, c, t)) {
          EXPECT_TRUE(v.is_string()) << row << "," << c;
          if (v.is_string()) EXPECT_EQ(v.as_string(), t) << row << "," << c;
        }
      }
    }
    std::int64_t i = 0;
    std::string_view t;
    EXPECT_TRUE(raw.int_at(0, 0, i) && i == 1);
    EXPECT_TRUE(raw.int_at(0, 2, i) && i == -42);
    EXPECT_TRUE(raw.int_at(1, 7, i) && i == -7);
    EXPECT_FALSE(raw.int_at(1, 0, i));  // NULL
    EXPECT_FALSE(raw.int_at(0, 4, i));  // 19 digits: value()'s
    EXPECT_FALSE(raw.int_at(0, 1, i));  // text
    EXPECT_FALSE(raw.int_at(0, 8, i));  // bool
    EXPECT_TRUE(raw.text_at(0, 1, t) && t == "a");
    EXPECT_TRUE(raw.text_at(0, 3, t) && t.empty());  // empty, not NULL
    EXPECT_TRUE(raw.text_at(0, 6, t) && t == "2026-11-27");
    EXPECT_FALSE(raw.text_at(1, 3, t));  // NULL
    EXPECT_FALSE(raw.text_at(0, 5, t));  // float8
    EXPECT_FALSE(raw.text_at(0, 0, t));  // int4
    EXPECT_EQ(raw.value(1, 2).as_int(), std::numeric_limits<std::int64_t>::min());
  });
}

namespace {

Task<std::string> raw_outcome(pg::AsyncConnection& conn, std::shared_ptr<const std::string> sql,
                              std::vector<db::Value> params) {
  try {
    auto r = co_await conn.read(std::move(sql), std::move(params), pg::RowsAs::raw);
    if (!r.raw || !r.rows.empty() || r.row_count() != 1) co_return "not raw";
    co_return r.raw.value(0, 0).as_string();
  } catch (const db::DatabaseError& e) {
    co_return "error " + e.sqlstate();
  }
}

}  // namespace

TEST(PgConnection, RawReadsSkippedByAFailedReadComeBackRaw) {
  run([]() -> Task<void> {
    auto conn = co_await pg::AsyncConnection::connect(config());
    auto sql = std::make_shared<const std::string>("SELECT (10 / $1::int8)::text");
    std::vector<db::Value> one{db::Value(std::int64_t{1})};
    co_await conn.read(sql, one, pg::RowsAs::raw);  // prepared now: the next ones share
    std::vector<Task<std::string>> tasks;
    const std::vector<std::int64_t> divisors{1, 0, 2, 5};
    for (std::int64_t d : divisors)
      tasks.push_back(raw_outcome(conn, sql, std::vector<db::Value>{db::Value(d)}));
    auto results = co_await duet::gather(std::move(tasks));
    EXPECT_EQ(results, (std::vector<std::string>{"10", "error 22012", "5", "2"}));
    EXPECT_EQ(conn.in_flight(), 0u);
  });
}
