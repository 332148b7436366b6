// ORM vs raw sqlite3 for get-by-pk and a 100-row filter, and the ratio to Django's ORM on the same data.
//
//   build-db/bench_db/db_bench                 (Google Benchmark figures, then the Django comparison)
//   DUET_BENCH_NO_DJANGO=1 build-db/bench_db/db_bench  (skip Django)
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "duet/db.hpp"

namespace db = duet::db;

struct BenchBook : db::Model<BenchBook> {
  db::CharField title;
  db::IntegerField pages;
  db::FloatField rating;
  static void meta(db::Meta<BenchBook>& m) {
    m.db_table("bench_book");
    m.field(&BenchBook::title, "title").max_length(100);
    m.field(&BenchBook::pages, "pages");
    m.field(&BenchBook::rating, "rating").null();
  }
};

namespace {

constexpr int kRows = 10000;
std::string g_path;

void setup_database() {
  g_path =
      (std::filesystem::temp_directory_path() / ("duet-db-bench-" + std::to_string(::getpid()) + ".sqlite3"))
          .string();
  std::filesystem::remove(g_path);
  db::configure({{"default", {.name = g_path}}});
  db::create_tables<BenchBook>();
  std::vector<BenchBook> rows(kRows);
  for (int i = 0; i < kRows; ++i) {
    rows[i].title = "Book " + std::to_string(i);
    rows[i].pages = i;
    rows[i].rating = i / 10.0;
  }
  BenchBook::objects().bulk_create(std::move(rows));
}

void BM_OrmGetByPk(benchmark::State& state) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> pick(1, kRows);
  for (auto _ : state) {
    auto b = BenchBook::objects().get("pk", pick(rng));
    benchmark::DoNotOptimize(b);
  }
}
BENCHMARK(BM_OrmGetByPk);

void BM_OrmFilter100(benchmark::State& state) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> pick(0, kRows - 100);
  for (auto _ : state) {
    int start = pick(rng);
    auto rows =
        BenchBook::objects().filter(db::Q("pages__gte", start) & db::Q("pages__lt", start + 100)).list();
    if (rows.size() != 100) state.SkipWithError("expected 100 rows");
    benchmark::DoNotOptimize(rows);
  }
}
BENCHMARK(BM_OrmFilter100);

// The floor: one prepared statement reused, columns copied into a plain struct.
struct RawBook {
  std::int64_t id;
  std::string title;
  std::int64_t pages;
  double rating;
};

RawBook read(sqlite3_stmt* s) {
  return {sqlite3_column_int64(s, 0), reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
          sqlite3_column_int64(s, 2), sqlite3_column_double(s, 3)};
}

void BM_RawGetByPk(benchmark::State& state) {
  sqlite3* conn = db::connection().native();
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(conn, "SELECT id, title, pages, rating FROM bench_book WHERE id = ?", -1, &s, nullptr);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> pick(1, kRows);
  for (auto _ : state) {
    sqlite3_bind_int64(s, 1, pick(rng));
    if (sqlite3_step(s) != SQLITE_ROW) state.SkipWithError("no row");
    auto b = read(s);
    benchmark::DoNotOptimize(b);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
}
BENCHMARK(BM_RawGetByPk);

void BM_RawFilter100(benchmark::State& state) {
  sqlite3* conn = db::connection().native();
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(conn, "SELECT id, title, pages, rating FROM bench_book WHERE pages >= ? AND pages < ?",
                     -1, &s, nullptr);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> pick(0, kRows - 100);
  for (auto _ : state) {
    int start = pick(rng);
    sqlite3_bind_int64(s, 1, start);
    sqlite3_bind_int64(s, 2, start + 100);
    std::vector<RawBook> rows;
    while (sqlite3_step(s) == SQLITE_ROW)
      rows.push_back(read(s));
    if (rows.size() != 100) state.SkipWithError("expected 100 rows");
    benchmark::DoNotOptimize(rows);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
}
BENCHMARK(BM_RawFilter100);

// Keeps each benchmark's time per iteration (µs) for the ratios printed at the end.
class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (auto& r : runs)
      us[r.benchmark_name()] = r.GetAdjustedRealTime() * 1e6 / benchmark::GetTimeUnitMultiplier(r.time_unit);
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> us;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  setup_database();
  Collector reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto get = [&](const char* n) { return reporter.us.count(n) ? reporter.us[n] : 0.0; };
  std::printf("\nORM overhead: get-by-pk %.2fx raw sqlite3, filter(100 rows) %.2fx raw sqlite3\n",
              get("BM_OrmGetByPk") / get("BM_RawGetByPk"), get("BM_OrmFilter100") / get("BM_RawFilter100"));
  if (!std::getenv("DUET_BENCH_NO_DJANGO")) {
    std::string cmd =
        std::string("/usr/bin/python3 ") + DUET_DJANGO_BENCH_SCRIPT + " " + std::to_string(kRows);
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p))
        out += buf;
      ::pclose(p);
    }
    boost::system::error_code ec;
    auto j = boost::json::parse(out, ec);
    if (ec || !j.is_object()) {
      std::printf("Django comparison skipped (is python3-django installed?): %s\n", out.c_str());
    } else {
      double dj_get = j.at("get_by_pk_us").to_number<double>(),
             dj_filter = j.at("filter_100_us").to_number<double>();
      std::printf(
          "Django 3.2 ORM (same schema, data, queries): get-by-pk %.1f us, filter(100 rows) %.1f us\n",
          dj_get, dj_filter);
      std::printf("duet vs Django: get-by-pk %.1fx faster, filter(100 rows) %.1fx faster\n",
                  dj_get / get("BM_OrmGetByPk"), dj_filter / get("BM_OrmFilter100"));
    }
  }
  db::connections.close_all();
  for (auto suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(g_path + suffix);
}
