// atomic: commit, rollback on exception, nested savepoints, on_commit; and the async aatomic.
#include <gtest/gtest.h>

#include "duet/runtime.hpp"
#include "models.hpp"

namespace db = duet::db;
namespace tx = duet::db::transaction;
using blog::Author;
using duet::db::testing::DbTest;

namespace {
Author make(const std::string& name) {
  Author a;
  a.name = name;
  return a;
}
}  // namespace

TEST_F(DbTest, AtomicCommitsWhenTheScopeEnds) {
  {
    tx::atomic t;
    EXPECT_TRUE(tx::in_atomic_block());
    make("Ann").save();
  }
  EXPECT_FALSE(tx::in_atomic_block());
  EXPECT_EQ(Author::objects().count(), 1);
}

TEST_F(DbTest, AtomicRollsBackOnException) {
  try {
    tx::atomic t;
    make("Ann").save();
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(tx::in_atomic_block());
  EXPECT_EQ(Author::objects().count(), 0);
}

TEST_F(DbTest, NestedAtomicRollsBackOnlyItsSavepoint) {
  {
    tx::atomic outer;
    make("Ann").save();
    try {
      tx::atomic inner;
      make("Bob").save();
      make("Ann").save();  // unique violation
    } catch (const db::IntegrityError&) {
    }
    make("Cid").save();
  }
  auto names = Author::objects().values_list_flat<std::string>("name");
  EXPECT_EQ(names, (std::vector<std::string>{"Ann", "Cid"}));
}

TEST_F(DbTest, RunAtomicReturnsTheValue) {
  auto id = tx::run_atomic([] {
    auto a = make("Ann");
    a.save();
    return a.pk().as_int();
  });
  EXPECT_EQ(Author::objects().get("pk", id).name.value(), "Ann");
}

TEST_F(DbTest, OnCommitRunsAfterCommitAndNotAfterRollback) {
  std::vector<std::string> ran;
  {
    tx::atomic t;
    tx::on_commit([&] { ran.push_back("outer"); });
    try {
      tx::atomic inner;
      tx::on_commit([&] { ran.push_back("rolled back"); });
      throw std::runtime_error("inner fails");
    } catch (const std::runtime_error&) {
    }
    tx::on_commit([&] { ran.push_back("second"); });
    EXPECT_TRUE(ran.empty());
  }
  EXPECT_EQ(ran, (std::vector<std::string>{"outer", "second"}));
  try {
    tx::atomic t;
    tx::on_commit([&] { ran.push_back("never"); });
    throw std::runtime_error("x");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(ran.size(), 2u);
  // Outside a transaction: at once.
  tx::on_commit([&] { ran.push_back("now"); });
  EXPECT_EQ(ran.back(), "now");
}

TEST_F(DbTest, SetRollbackDiscardsWithoutRaising) {
  {
    tx::atomic t;
    make("Ann").save();
    tx::set_rollback(true);
  }
  EXPECT_EQ(Author::objects().count(), 0);
  EXPECT_THROW(tx::set_rollback(true), db::TransactionManagementError);
}

class AsyncTransactionTest : public DbTest {
 protected:
  static duet::Runtime& rt() {
    static duet::Runtime runtime({.loops = 1, .sync_threads = 4});
    return runtime;
  }
};

// Written for g++ 12 (GCC bug 99576, docs/runtime.md): the QuerySets and the aatomic bodies are named
// before the co_await that uses them.
duet::Task<void> create_two() {
  Author ann, bob;
  ann.name = "Ann";
  bob.name = "Bob";
  auto authors = Author::objects();
  ann = co_await authors.acreate(ann);
  co_await ann.asave();  // an UPDATE now, in the same transaction
  co_await bob.asave();
}

duet::Task<void> create_then_throw() {
  Author cid;
  cid.name = "Cid";
  co_await cid.asave();
  throw std::runtime_error("abort");
}

duet::Task<std::int64_t> count_authors() {
  auto authors = Author::objects();
  co_return co_await authors.acount();
}

duet::Task<void> aatomic_flow() {
  auto authors = Author::objects();
  auto two = &create_two;
  co_await tx::aatomic(two);
  EXPECT_EQ(co_await authors.acount(), 2);
  bool thrown = false;
  try {
    auto failing = &create_then_throw;
    co_await tx::aatomic(failing);
  } catch (const std::runtime_error&) {
    thrown = true;
  }
  EXPECT_TRUE(thrown);
  EXPECT_EQ(co_await authors.acount(), 2);
  // A value passes through.
  auto counting = &count_authors;
  auto n = co_await tx::aatomic(counting);
  EXPECT_EQ(n, 2);
}

TEST_F(AsyncTransactionTest, AatomicCommitsAndRollsBack) {
  rt().block_on(aatomic_flow());
}
