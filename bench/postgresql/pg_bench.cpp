// SELECT by primary key from TechEmpower's World table: pipelined async vs one-at-a-time async vs the sync
// API vs raw blocking libpq, all on one thread against a local throw-away cluster.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "duet/db/backends/postgresql/connection.hpp"
#include "duet/db/backends/postgresql/sync.hpp"
#include "duet/runtime/gather.hpp"

namespace pg = duet::db::postgresql;
namespace db = duet::db;
using duet::Task;

namespace {

std::string g_conninfo;
constexpr const char* kSelect = "SELECT id, randomnumber FROM world WHERE id = $1";

int random_id() {
  static std::mt19937 rng(42);
  return static_cast<int>(rng() % 10000) + 1;
}

pg::Config config() {
  pg::Config c;
  c.conninfo = g_conninfo;
  return c;
}

Task<std::int64_t> select_one(pg::AsyncConnection& conn) {
  std::vector<db::Value> p{random_id()};
  auto r = co_await conn.query(kSelect, p);
  co_return r.rows.at(0).at(1).as_int();
}

// Many coroutines of one loop share one connection: `depth` queries in flight back to back.
void BM_AsyncPipelined(benchmark::State& state) {
  const auto depth = static_cast<std::size_t>(state.range(0));
  boost::asio::io_context io;
  std::string error;
  boost::asio::co_spawn(
      io,
      [&]() -> Task<void> {
        try {
          auto conn = co_await pg::AsyncConnection::connect(config());
          for (auto _ : state) {
            std::vector<Task<std::int64_t>> tasks;
            tasks.reserve(depth);
            for (std::size_t i = 0; i < depth; ++i)
              tasks.push_back(select_one(conn));
            auto results = co_await duet::gather(std::move(tasks));
            benchmark::DoNotOptimize(results.data());
          }
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      boost::asio::detached);
  io.run();
  if (!error.empty()) state.SkipWithError(error.c_str());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(depth));
}
BENCHMARK(BM_AsyncPipelined)->Arg(1)->Arg(16)->Arg(64)->Arg(256)->UseRealTime();

// One query at a time through the async driver: its round-trip latency.
void BM_AsyncSequential(benchmark::State& state) {
  boost::asio::io_context io;
  std::string error;
  boost::asio::co_spawn(
      io,
      [&]() -> Task<void> {
        try {
          auto conn = co_await pg::AsyncConnection::connect(config());
          for (auto _ : state)
            benchmark::DoNotOptimize(co_await select_one(conn));
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      boost::asio::detached);
  io.run();
  if (!error.empty()) state.SkipWithError(error.c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AsyncSequential)->UseRealTime();

void BM_SyncBlocking(benchmark::State& state) {
  auto& conn = pg::sync_connection(config());
  for (auto _ : state) {
    std::vector<db::Value> p{random_id()};
    auto r = conn.query(kSelect, p);
    benchmark::DoNotOptimize(r.rows.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SyncBlocking)->UseRealTime();

// The floor: libpq's own blocking prepared execution, text results left unconverted.
void BM_RawLibpqSync(benchmark::State& state) {
  PGconn* conn = PQconnectdb(g_conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    state.SkipWithError(PQerrorMessage(conn));
    PQfinish(conn);
    return;
  }
  PQclear(PQprepare(conn, "s", kSelect, 1, nullptr));
  for (auto _ : state) {
    std::string id = std::to_string(random_id());
    const char* values[] = {id.c_str()};
    PGresult* r = PQexecPrepared(conn, "s", 1, values, nullptr, nullptr, 0);
    benchmark::DoNotOptimize(PQgetvalue(r, 0, 1));
    PQclear(r);
  }
  PQfinish(conn);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawLibpqSync)->UseRealTime();

std::string read_cluster_conninfo(const std::string& dir) {
  std::ifstream in(dir + "/env");
  std::string line, info;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "PGHOST") info += " host=" + value;
    if (key == "PGPORT") info += " port=" + value;
    if (key == "PGUSER") info += " user=" + value;
    if (key == "PGDATABASE") info += " dbname=" + value;
  }
  return info;
}

void load_world() {
  pg::SyncConnection conn(config());
  conn.execute("DROP TABLE IF EXISTS world");
  conn.execute(
      "CREATE TABLE world (id integer NOT NULL PRIMARY KEY, randomnumber integer NOT NULL DEFAULT 0)");
  conn.execute(
      "INSERT INTO world (id, randomnumber) SELECT x, least(floor(random() * 10000 + 1), 10000) "
      "FROM generate_series(1, 10000) x");
  conn.execute("ANALYZE world");
}

}  // namespace

int main(int argc, char** argv) {
  bool own_cluster = false;
  if (const char* info = std::getenv("DUET_PG_CONNINFO")) {
    g_conninfo = info;
  } else {
    std::string cmd =
        std::string(DUET_PG_CLUSTER_SCRIPT) + " start " + DUET_PG_BENCH_CLUSTER_DIR + " >/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "pg_bench: could not start a PostgreSQL cluster (%s)\n", cmd.c_str());
      return 1;
    }
    own_cluster = true;
    g_conninfo = read_cluster_conninfo(DUET_PG_BENCH_CLUSTER_DIR);
  }
  int rc = 0;
  try {
    load_world();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pg_bench: %s\n", e.what());
    rc = 1;
  }
  pg::close_sync_connections();
  if (own_cluster) {
    std::string cmd = std::string(DUET_PG_CLUSTER_SCRIPT) + " stop " + DUET_PG_BENCH_CLUSTER_DIR;
    if (std::system(cmd.c_str()) != 0) rc = 1;
  }
  return rc;
}
