// What the PostgreSQL tests share: the throw-away cluster's connection parameters and a loop to run on.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "duet/db/backends/postgresql/connection.hpp"
#include "duet/runtime.hpp"

namespace duet::db::postgresql::testing {

inline std::string cluster_dir() {
  const char* dir = std::getenv("DUET_PG_CLUSTER_DIR");
  return dir ? dir : DUET_PG_CLUSTER_DIR_DEFAULT;
}

/// "host=127.0.0.1 port=... user=duet dbname=duet" from the cluster's env file; fails the test (never skips)
/// when the cluster is missing.
inline std::string conninfo() {
  std::ifstream in(cluster_dir() + "/env");
  if (!in) {
    ADD_FAILURE() << "no PostgreSQL test cluster at '" << cluster_dir()
                  << "': run the tests through ctest (fixture pg_cluster_start) or "
                     "`scripts/pg-cluster.sh start <dir>` with DUET_PG_CLUSTER_DIR=<dir>";
    return "host=/nonexistent";
  }
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

inline Config config() {
  Config c;
  c.conninfo = conninfo();
  return c;
}

inline duet::Runtime& runtime() {
  static duet::Runtime rt({.loops = 1, .sync_threads = 2});
  return rt;
}

/// Runs a coroutine on the test loop and waits for it.
template <class Fn>
void run(Fn fn) {
  runtime().block_on(fn());
}

}  // namespace duet::db::postgresql::testing
