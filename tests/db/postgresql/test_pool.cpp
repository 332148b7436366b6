// Pool against the throw-away cluster: shared queries, transactions pinned to their task, exhaustion,
// recovery after a killed backend and after a server restart.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <set>
#include <thread>

#include "db/postgresql/pg_test.hpp"
#include "duet/db/backends/postgresql/pool.hpp"
#include "duet/runtime/gather.hpp"

namespace pg = duet::db::postgresql;
namespace db = duet::db;
using duet::Task;
using pg::testing::config;
using pg::testing::run;

namespace {

pg::PoolOptions options(std::size_t max_size = 4) {
  pg::PoolOptions o;
  o.config = config();
  o.max_size = max_size;
  o.acquire_timeout = std::chrono::milliseconds(3000);
  return o;
}

Task<void> reset_table(pg::Pool& pool) {
  co_await pool.execute("DROP TABLE IF EXISTS duet_pool_items");
  co_await pool.execute("CREATE TABLE duet_pool_items (id serial PRIMARY KEY, name text NOT NULL UNIQUE)");
}

Task<std::int64_t> count_items(pg::Pool& pool) {
  auto r = co_await pool.query("SELECT count(*) FROM duet_pool_items");
  co_return r.rows.at(0).at(0).as_int();
}

Task<int> insert_in(pg::Transaction& tx, std::string name) {
  std::vector<db::Value> p{name};
  co_await tx.execute("INSERT INTO duet_pool_items (name) VALUES ($1)", p);
  auto pid = co_await tx.query("SELECT pg_backend_pid()");
  co_return static_cast<int>(pid.rows.at(0).at(0).as_int());
}

Task<void> sleep_ms(int ms) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(boost::asio::use_awaitable);
}

}  // namespace

TEST(PgPool, SharedQueriesFromManyCoroutines) {
  run([]() -> Task<void> {
    pg::Pool pool(options(2));
    co_await pool.warm_up();
    std::vector<Task<pg::Result>> tasks;
    for (int i = 0; i < 50; ++i) {
      std::vector<db::Value> p{i};
      tasks.push_back(pool.query("SELECT $1::int", p));
    }
    auto results = co_await duet::gather(std::move(tasks));
    for (int i = 0; i < 50; ++i)
      EXPECT_EQ(results[i].rows[0][0].as_int(), i);
    EXPECT_LE(pool.stats().open, 2u);
    EXPECT_EQ(pool.stats().leased, 0u);
  });
}

TEST(PgPool, TransactionPinsOneConnectionAndRollsBack) {
  run([]() -> Task<void> {
    pg::Pool pool(options(4));
    co_await reset_table(pool);
    std::set<int> pids;
    bool failed = false;
    try {
      co_await pool.atransaction([&pids](pg::Transaction& tx) -> Task<void> {
        std::vector<Task<int>> inserts;
        for (int i = 0; i < 10; ++i)
          inserts.push_back(insert_in(tx, "item" + std::to_string(i)));
        auto got = co_await duet::gather(std::move(inserts));
        pids.insert(got.begin(), got.end());
        // Inside the transaction the rows are visible...
        auto n = co_await tx.query("SELECT count(*) FROM duet_pool_items");
        EXPECT_EQ(n.rows[0][0].as_int(), 10);
        // ... and a duplicate fails the whole transaction.
        co_await insert_in(tx, "item3");
      });
    } catch (const db::IntegrityError& e) {
      failed = true;
      EXPECT_EQ(e.sqlstate(), "23505");
    }
    EXPECT_TRUE(failed);
    EXPECT_EQ(pids.size(), 1u);                // every query of the gather ran on the one pinned connection
    EXPECT_EQ(co_await count_items(pool), 0);  // nothing of it was committed
    EXPECT_EQ(pool.stats().leased, 0u);
  });
}

TEST(PgPool, TransactionCommitsAndSiblingsOutsideItAreUnaffected) {
  run([]() -> Task<void> {
    pg::Pool pool(options(4));
    co_await reset_table(pool);
    co_await pool.atransaction([&pool](pg::Transaction& tx) -> Task<void> {
      co_await insert_in(tx, "inside");
      // A query outside the transaction does not see the uncommitted row (it is on another connection).
      EXPECT_EQ(co_await count_items(pool), 0);
    });
    EXPECT_EQ(co_await count_items(pool), 1);
  });
}

TEST(PgPool, TransactionDroppedWithoutCommitRollsBack) {
  run([]() -> Task<void> {
    pg::Pool pool(options(1));
    co_await reset_table(pool);
    {
      auto tx = co_await pool.begin();
      co_await insert_in(tx, "forgotten");
    }
    // Same (only) connection: the ROLLBACK queued by the destructor ran before this.
    EXPECT_EQ(co_await count_items(pool), 0);
    auto tx = co_await pool.begin();
    co_await tx.commit();
    EXPECT_THROW(co_await tx.commit(), db::TransactionManagementError);
  });
}

TEST(PgPool, ExhaustionTimesOutWithPoolTimeout) {
  run([]() -> Task<void> {
    auto o = options(1);
    o.acquire_timeout = std::chrono::milliseconds(200);
    pg::Pool pool(o);
    auto lease = co_await pool.acquire();
    EXPECT_EQ(pool.stats().leased, 1u);
    bool timed_out = false;
    try {
      co_await pool.acquire();
    } catch (const pg::PoolTimeout& e) {
      timed_out = true;
      EXPECT_NE(std::string(e.what()).find("max_size = 1"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(timed_out);
    // Shared queries wait too, and are catchable as the ORM's OperationalError.
    EXPECT_THROW(co_await pool.query("SELECT 1"), db::OperationalError);
    lease.release();
    auto again = co_await pool.acquire();
    auto r = co_await again->query("SELECT 1");
    EXPECT_EQ(r.rows[0][0].as_int(), 1);
  });
}

TEST(PgPool, AWaiterGetsTheConnectionWhenItIsGivenBack) {
  run([]() -> Task<void> {
    pg::Pool pool(options(1));
    auto lease = co_await pool.acquire();
    int pid = lease->backend_pid();
    auto waiter = [&pool]() -> Task<int> {
      auto l = co_await pool.acquire();
      co_return l->backend_pid();
    };
    auto releaser = [&lease]() -> Task<int> {
      co_await sleep_ms(50);
      lease.release();
      co_return 0;
    };
    auto [got, ignored] = co_await duet::gather(waiter(), releaser());
    EXPECT_EQ(got, pid);
  });
}

TEST(PgPool, RecoversAfterBackendIsKilled) {
  run([]() -> Task<void> {
    pg::Pool pool(options(1));
    auto pid_row = co_await pool.query("SELECT pg_backend_pid()");
    auto pid = pid_row.rows[0][0].as_int();
    auto killer = co_await pg::AsyncConnection::connect(config());
    std::vector<db::Value> p{pid};
    co_await killer.query("SELECT pg_terminate_backend($1)", p);
    int operational_errors = 0;
    std::int64_t new_pid = 0;
    for (int i = 0; i < 50 && !new_pid; ++i) {
      try {
        auto r = co_await pool.query("SELECT pg_backend_pid()");
        new_pid = r.rows[0][0].as_int();
      } catch (const db::OperationalError&) {
        ++operational_errors;
      }
      if (!new_pid) co_await sleep_ms(20);
    }
    EXPECT_NE(new_pid, 0);
    EXPECT_NE(new_pid, pid);
    EXPECT_LE(operational_errors, 1);
    EXPECT_EQ(pool.stats().opened_total, 2u);
  });
}

TEST(PgPool, RecoversAfterServerRestart) {
  const char* script = DUET_PG_CLUSTER_SCRIPT;
  pg::Pool* pool_ptr = nullptr;
  auto o = options(2);
  o.acquire_timeout = std::chrono::milliseconds(20000);
  o.reconnect_backoff_max = std::chrono::milliseconds(200);
  pg::Pool pool(o);  // created here, used only on the test loop
  pool_ptr = &pool;
  run([pool_ptr]() -> Task<void> {
    auto r = co_await pool_ptr->query("SELECT 1");
    EXPECT_EQ(r.rows[0][0].as_int(), 1);
  });
  std::string cmd = std::string(script) + " restart " + pg::testing::cluster_dir() + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  run([pool_ptr]() -> Task<void> {
    int operational_errors = 0;
    bool ok = false;
    for (int i = 0; i < 100 && !ok; ++i) {
      try {
        auto r = co_await pool_ptr->query("SELECT 2");
        ok = r.rows[0][0].as_int() == 2;
      } catch (const db::OperationalError&) {
        ++operational_errors;
      }
      if (!ok) co_await sleep_ms(50);
    }
    EXPECT_TRUE(ok);
    EXPECT_GE(pool_ptr->stats().opened_total, 2u);
    pool_ptr->close();
  });
}

TEST(PgPool, RefusesUseFromAnotherThread) {
  pg::Pool pool(options(1));
  pg::Pool* p = &pool;
  run([p]() -> Task<void> {
    auto r = co_await p->query("SELECT 1");
    EXPECT_EQ(r.rows[0][0].as_int(), 1);
  });
  // Another loop on this (the main) thread: the pool has no locks, so it refuses rather than race.
  boost::asio::io_context other;
  bool refused = false;
  boost::asio::co_spawn(
      other,
      [p, &refused]() -> Task<void> {
        try {
          co_await p->query("SELECT 1");
        } catch (const db::ProgrammingError&) {
          refused = true;
        }
      },
      boost::asio::detached);
  other.run();
  EXPECT_TRUE(refused);
  run([p]() -> Task<void> {
    p->close();
    co_return;
  });
}

// ---- the waiters' queue: oldest first, direct hand-off, nothing swallowed ----

namespace {

/// One turn of the loop: whatever is queued on it now runs before this resumes.
Task<void> next_turn() {
  co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
}

/// Turns the loop until `done()` holds, at most `turns` times: progress is counted in loop turns, not time,
/// so a wake-up that only a periodic re-check would deliver counts as lost.
template <class Done>
Task<bool> within_turns(int turns, Done done) {
  for (int i = 0; i < turns && !done(); ++i)
    co_await next_turn();
  co_return done();
}

/// Starts `task` on the current loop, cancellable through `signal` (when given).
void spawn(const duet::Executor& executor, Task<void> task,
           boost::asio::cancellation_signal* signal = nullptr) {
  if (signal) {
    boost::asio::co_spawn(executor, std::move(task),
                          boost::asio::bind_cancellation_slot(signal->slot(), boost::asio::detached));
  } else {
    boost::asio::co_spawn(executor, std::move(task), boost::asio::detached);
  }
}

}  // namespace

TEST(PgPool, WaitersAreServedOldestFirstAndNewcomersQueueBehindThem) {
  run([]() -> Task<void> {
    pg::Pool pool(options(1));
    auto executor = co_await boost::asio::this_coro::executor;
    auto lease = co_await pool.acquire();
    std::vector<int> order;
    int finished = 0;
    auto waiter = [&](int id) -> Task<void> {
      auto l = co_await pool.acquire();
      order.push_back(id);
      co_await next_turn();  // holds it across a turn: the others stay queued meanwhile
      ++finished;
    };
    for (int i = 0; i < 5; ++i)
      spawn(executor, waiter(i));
    EXPECT_TRUE(co_await within_turns(50, [&] { return pool.stats().waiting == 5; }));
    EXPECT_EQ(pool.stats().waited_total, 5u);
    // Given back, then asked for again in the same turn: the newcomer must not take it from the queue.
    lease.release();
    spawn(executor, waiter(99));
    EXPECT_TRUE(co_await within_turns(200, [&] { return finished == 6; }));
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 99}));
    EXPECT_EQ(pool.stats().leased, 0u);
    EXPECT_EQ(pool.stats().waiting, 0u);
    EXPECT_EQ(pool.stats().opened_total, 1u);
  });
}

TEST(PgPool, SharedQueriesWaitInTheSameQueueAsLeases) {
  run([]() -> Task<void> {
    pg::Pool pool(options(1));
    auto executor = co_await boost::asio::this_coro::executor;
    auto lease = co_await pool.acquire();
    std::vector<std::string> done;
    std::size_t waiting_during_l1 = 99;
    auto l1 = [&]() -> Task<void> {
      auto l = co_await pool.acquire();
      co_await next_turn();
      // q1 shared the connection and left it free for l1; q2 came after l1 and waits for its lease to end.
      waiting_during_l1 = pool.stats().waiting;
      done.push_back("l1");
    };
    auto querier = [&](std::string name) -> Task<void> {
      auto r = co_await pool.query("SELECT 1");
      EXPECT_EQ(r.rows.at(0).at(0).as_int(), 1);
      done.push_back(name);
    };
    spawn(executor, querier("q1"));
    spawn(executor, l1());
    spawn(executor, querier("q2"));
    EXPECT_TRUE(co_await within_turns(50, [&] { return pool.stats().waiting == 3; }));
    lease.release();
    for (int i = 0; i < 1000 && done.size() < 3; ++i)
      co_await sleep_ms(5);
    EXPECT_EQ(waiting_during_l1, 1u);
    EXPECT_EQ(done.size(), 3u);
    EXPECT_EQ(done.back(), "q2");
  });
}

TEST(PgPool, ACancelledWaiterTakesNothingAndTheNextOneIsServed) {
  run([]() -> Task<void> {
    pg::Pool pool(options(1));
    auto executor = co_await boost::asio::this_coro::executor;
    // Cancelled before the hand-off (it has left the queue when the lease comes back) and just after it (the
    // connection was already handed to it): either way it throws and the next waiter gets the connection.
    for (bool cancel_first : {true, false}) {
      auto lease = co_await pool.acquire();
      int got_a = 0, got_b = 0, a_errors = 0, a_timeouts = 0;
      bool b_done = false;
      boost::asio::cancellation_signal cancel_a;
      auto a = [&]() -> Task<void> {
        try {
          auto l = co_await pool.acquire();
          ++got_a;
        } catch (const pg::PoolTimeout&) {
          ++a_timeouts;
        } catch (const db::OperationalError&) {
          ++a_errors;
        }
      };
      auto b = [&]() -> Task<void> {
        auto l = co_await pool.acquire();
        ++got_b;
        co_await next_turn();
        b_done = true;
      };
      spawn(executor, a(), &cancel_a);
      spawn(executor, b());
      EXPECT_TRUE(co_await within_turns(50, [&] { return pool.stats().waiting == 2; }));
      if (cancel_first) {
        cancel_a.emit(boost::asio::cancellation_type::terminal);
        lease.release();
      } else {
        lease.release();
        cancel_a.emit(boost::asio::cancellation_type::terminal);
      }
      EXPECT_TRUE(co_await within_turns(50, [&] { return b_done; })) << "cancel_first=" << cancel_first;
      EXPECT_EQ(got_a, 0);
      EXPECT_EQ(a_errors, 1);
      EXPECT_EQ(a_timeouts, 0);
      EXPECT_EQ(got_b, 1);
      EXPECT_EQ(pool.stats().leased, 0u);
      EXPECT_EQ(pool.stats().waiting, 0u);
    }
  });
}

TEST(PgPool, AWaiterPastItsDeadlineWhenTheConnectionComesBackDoesNotSwallowIt) {
  run([]() -> Task<void> {
    auto o = options(1);
    o.acquire_timeout = std::chrono::milliseconds(200);
    pg::Pool pool(o);
    auto executor = co_await boost::asio::this_coro::executor;
    auto lease = co_await pool.acquire();
    bool a_done = false, b_got = false;
    auto a = [&]() -> Task<void> {
      try {
        auto l = co_await pool.acquire();
      } catch (const pg::PoolTimeout&) {
      }
      a_done = true;
    };
    auto b = [&]() -> Task<void> {
      auto l = co_await pool.acquire();
      b_got = true;
    };
    spawn(executor, a());
    EXPECT_TRUE(co_await within_turns(50, [&] { return pool.stats().waiting == 1; }));
    // The loop is held past a's deadline: its timer is due when the connection comes back. Whether a takes
    // it (handed over first) or times out, b, queued behind it, must get it without a re-check.
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    spawn(executor, b());
    co_await next_turn();
    lease.release();
    EXPECT_TRUE(co_await within_turns(50, [&] { return a_done && b_got; }));
    EXPECT_EQ(pool.stats().leased, 0u);
  });
}

TEST(PgPool, ManyWaitersThroughFewConnectionsLoseNoWakeUp) {
  run([]() -> Task<void> {
    auto o = options(2);
    // No periodic re-check rescues a lost wake-up any more: one would end in this timeout and fail.
    o.acquire_timeout = std::chrono::milliseconds(30000);
    pg::Pool pool(o);
    auto executor = co_await boost::asio::this_coro::executor;
    constexpr int kWorkers = 12, kRounds = 40;
    int done = 0, failures = 0;
    auto worker = [&](int id) -> Task<void> {
      try {
        for (int i = 0; i < kRounds; ++i) {
          if ((i + id) % 3 == 0) {
            auto r = co_await pool.query("SELECT 1");
            EXPECT_EQ(r.rows.at(0).at(0).as_int(), 1);
          } else {
            auto l = co_await pool.acquire();
            if (i % 2)
              co_await l->query("SELECT 1");
            else
              co_await next_turn();
          }
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
      ++done;
    };
    for (int i = 0; i < kWorkers; ++i)
      spawn(executor, worker(i));
    while (done < kWorkers)
      co_await sleep_ms(5);
    EXPECT_EQ(failures, 0);
    EXPECT_GT(pool.stats().waited_total, 0u);
    EXPECT_EQ(pool.stats().leased, 0u);
    EXPECT_EQ(pool.stats().waiting, 0u);
    EXPECT_LE(pool.stats().open, 2u);
  });
}

// The reads a turn of the loop sends share one sync point only on one connection: spread over the least
// busy connections, each connection would get its own send and its own server wake-up. So once a read of
// the turn is collecting on a connection, the turn's other reads join it (up to half of pipeline_depth in
// flight there; past that, other backends run the rest in parallel).
namespace {

// Asks the pool when it starts (in gather's turn), not when the task is made: Pool::read() picks its
// connection when called.
Task<std::int64_t> backend_of_read(pg::Pool& pool) {
  auto r = co_await pool.read("SELECT pg_backend_pid()");
  co_return r.rows.at(0).at(0).as_int();
}

Task<std::set<std::int64_t>> backends_of_reads(pg::Pool& pool, int n) {
  std::vector<Task<std::int64_t>> tasks;
  for (int i = 0; i < n; ++i)
    tasks.push_back(backend_of_read(pool));
  auto pids = co_await duet::gather(std::move(tasks));
  co_return std::set<std::int64_t>(pids.begin(), pids.end());
}

}  // namespace

TEST(PgPool, TheReadsOfOneTurnGoToTheConnectionCollectingThem) {
  run([]() -> Task<void> {
    auto o = options(4);
    o.min_size = 4;
    pg::Pool pool(o);
    co_await pool.warm_up();
    EXPECT_EQ(pool.stats().open, 4u);
    // Prepared on the connection that is least busy at rest (a read shares only a prepared statement);
    // the reads of the next turn then all join the first one's group there.
    auto first = co_await backend_of_read(pool);
    auto one_turn = co_await backends_of_reads(pool, 16);
    EXPECT_EQ(one_turn, std::set<std::int64_t>{first});
    // Half of the default pipeline_depth (32) is the most one connection collects.
    auto beyond_half = co_await backends_of_reads(pool, 24);
    EXPECT_GT(beyond_half.size(), 1u);

    // A shallower pipeline spills over sooner.
    auto shallow = options(4);
    shallow.min_size = 4;
    shallow.pipeline_depth = 2;
    pg::Pool spill(shallow);
    co_await spill.warm_up();
    co_await backend_of_read(spill);
    auto spilled = co_await backends_of_reads(spill, 8);
    EXPECT_GT(spilled.size(), 1u);
  });
}
