// TestCase and TransactionTestCase: GoogleTest fixtures with Django's database isolation
// (django.test.TestCase / TransactionTestCase), plus assertNumQueries and captureOnCommitCallbacks.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/connection.hpp"
#include "duet/db/settings.hpp"
#include "duet/db/transaction.hpp"

namespace duet::test {

/// Deletes every row of every registered model's table (and many-to-many through table) that exists on
/// `alias`, in one transaction — Django's `flush`, which TransactionTestCase runs after each test.
void flush_database(std::string_view alias = db::DEFAULT_DB_ALIAS);

/// Each test may commit; after it, every table is emptied (slower than TestCase; for code that needs real
/// commits: on_commit hooks, several threads or connections, async flows on other threads).
///
///     class Checkout : public duet::test::TransactionTestCase {};
///     TEST_F(Checkout, CommitsRunHooks) { ... }
///
/// The databases must be configured (and their tables created) before the fixture runs, e.g. in main() or a
/// ::testing::Environment, as Django's test runner does before the first test.
class TransactionTestCase : public ::testing::Test {
 protected:
  /// The aliases whose data the fixture manages (Django's `databases`).
  virtual std::vector<std::string> databases() const { return {std::string(db::DEFAULT_DB_ALIAS)}; }

  void TearDown() override;

  /// Fails the test unless `fn()` runs exactly `expected` statements on this thread's connection to
  /// `alias` (transaction statements — BEGIN, SAVEPOINT — count too).
  template <class Fn>
  void assertNumQueries(std::uint64_t expected, Fn&& fn, std::string_view alias = db::DEFAULT_DB_ALIAS) {
    auto& conn = db::connections[alias];
    auto before = conn.queries_executed();
    std::forward<Fn>(fn)();
    auto ran = db::connections[alias].queries_executed() - before;
    EXPECT_EQ(ran, expected) << ran << " queries executed, " << expected << " expected (alias '" << alias
                             << "')";
  }

  /// The on_commit callbacks `fn()` registers on `alias`, which TestCase's rolled-back transaction would
  /// otherwise drop; `execute` runs them too (Django's captureOnCommitCallbacks).
  template <class Fn>
  std::vector<std::function<void()>> captureOnCommitCallbacks(Fn&& fn, bool execute = false,
                                                              std::string_view alias = db::DEFAULT_DB_ALIAS) {
    auto& hooks = db::connections[alias].transaction().on_commit;
    std::size_t before = hooks.size();
    std::forward<Fn>(fn)();
    auto& after = db::connections[alias].transaction().on_commit;
    std::vector<std::function<void()>> out;
    for (std::size_t i = before; i < after.size(); ++i)
      out.push_back(after[i].fn);
    if (execute) {
      for (auto& f : out)
        f();
    }
    return out;
  }
};

/// Each test runs inside a transaction rolled back at its end: fast isolation, as Django's TestCase. Atomic
/// blocks inside a test become savepoints; on_commit hooks never run (capture them with
/// captureOnCommitCallbacks). Override setUpTestData() for data shared by the suite's tests: it runs once,
/// before the suite's first test, in a suite-wide transaction rolled back after the last one. Keep what it
/// creates in static members (the fixture object is new for every test). Changes a test makes to it in the
/// database are rolled back; changes to the C++ objects are not (Django 3.2 deep-copies them).
///
///     class Library : public duet::test::TestCase {
///      protected:
///       static inline Author ann;
///       void setUpTestData() override { ann = Author::objects().create({{"name", "Ann"}}); }
///     };
///
/// Everything runs on the test's thread and its connection: ORM calls awaited under Runtime::block_on()
/// belong to the transaction only if the runtime runs them on the calling thread (see docs/testing.md).
/// A fixture that overrides SetUp()/TearDown() calls TestCase's.
class TestCase : public TransactionTestCase {
 protected:
  virtual void setUpTestData() {}

  void SetUp() override;
  void TearDown() override;
  /// Rolls back the suite-wide transaction (GoogleTest calls it after the suite's last test).
  static void TearDownTestSuite();

 private:
  std::vector<std::unique_ptr<db::transaction::atomic>> atomics_;
};

}  // namespace duet::test
