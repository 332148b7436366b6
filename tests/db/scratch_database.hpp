// A GoogleTest fixture giving each test a fresh database with the tables of `Models`; the configuration
// generation makes every thread (the test's and the runtime's sync threads) reopen its connection on it.
//
// The backend comes from the environment: DUET_TEST_DATABASE=postgresql runs on the throw-away cluster of
// DUET_PG_CLUSTER_DIR (default: the one tests/db/postgresql's CTest fixture starts), each test in an emptied
// `public` schema; anything else (the default) on a fresh SQLite file. CMake registers every ORM test twice,
// the second time with the suffix _pg (tests/db/CMakeLists.txt: duet_add_orm_test).
//
// Interface kept stable for other test directories (migrations): ScratchDatabaseTest<Models...>,
// scratch_settings(), on_postgresql().
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "duet/db.hpp"

namespace duet::db::testing {

/// True when this run's tests use PostgreSQL (DUET_TEST_DATABASE=postgresql).
inline bool on_postgresql() {
  const char* v = std::getenv("DUET_TEST_DATABASE");
  return v && (std::string_view(v) == "postgresql" || std::string_view(v) == "postgres");
}

inline std::string pg_cluster_dir() {
  if (const char* dir = std::getenv("DUET_PG_CLUSTER_DIR"); dir && *dir) return dir;
#ifdef DUET_PG_CLUSTER_DIR_DEFAULT
  return DUET_PG_CLUSTER_DIR_DEFAULT;
#else
  return {};
#endif
}

/// The cluster's DATABASES entry, from its env file (PGHOST, PGPORT, PGUSER, PGDATABASE). Fails the test
/// (never skips) when there is no cluster.
inline DatabaseSettings pg_cluster_settings() {
  DatabaseSettings s;
  s.engine = "postgresql";
  std::ifstream in(pg_cluster_dir() + "/env");
  if (!in) {
    ADD_FAILURE() << "DUET_TEST_DATABASE=postgresql but no PostgreSQL test cluster at '" << pg_cluster_dir()
                  << "': run the tests through ctest (fixture pg_cluster_start) or "
                     "`scripts/pg-cluster.sh start <dir>` with DUET_PG_CLUSTER_DIR=<dir>";
    s.host = "/nonexistent";
    return s;
  }
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "PGHOST") s.host = value;
    if (key == "PGPORT") s.port = value;
    if (key == "PGUSER") s.user = value;
    if (key == "PGDATABASE") s.name = value;
  }
  return s;
}

/// Configures "default" on an empty database of this run's backend and returns its settings. `sqlite_path`
/// is the file used on SQLite.
inline DatabaseSettings scratch_settings(const std::filesystem::path& sqlite_path) {
  if (on_postgresql()) {
    auto s = pg_cluster_settings();
    configure({{"default", s}});
    // Everything the previous test created goes with the schema (tables, sequences, constraints).
    connection().execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
    return s;
  }
  std::filesystem::remove(sqlite_path);
  DatabaseSettings s;
  s.name = sqlite_path.string();
  configure({{"default", s}});
  return s;
}

template <class... Models>
class ScratchDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("duet-db-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sqlite3");
    settings_ = scratch_settings(path_);
    if constexpr (sizeof...(Models) > 0) create_tables<Models...>();
  }
  void TearDown() override {
    connections.close_all();
    if (!on_postgresql()) {
      for (auto suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path_.string() + suffix);
    }
  }
  bool postgresql() const { return on_postgresql(); }
  std::filesystem::path path_;
  DatabaseSettings settings_;
};

}  // namespace duet::db::testing
