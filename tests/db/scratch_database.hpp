// A GoogleTest fixture giving each test a fresh SQLite file with the tables of `Models`; the configuration
// generation makes every thread (the test's and the runtime's sync threads) reopen its connection on it.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <string>

#include "duet/db.hpp"

namespace duet::db::testing {

template <class... Models>
class ScratchDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("duet-db-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sqlite3");
    std::filesystem::remove(path_);
    DatabaseSettings s;
    s.name = path_.string();
    configure({{"default", s}});
    create_tables<Models...>();
  }
  void TearDown() override {
    connections.close_all();
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }
  std::filesystem::path path_;
};

}  // namespace duet::db::testing
