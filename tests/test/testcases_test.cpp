// TestCase (rolled-back transaction per test, suite data) and TransactionTestCase (tables emptied after each
// test) over a real database: a SQLite file, or the PostgreSQL test cluster in the _pg registration.
#include "duet/test/testcases.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "db/scratch_database.hpp"
#include "duet/db.hpp"
#include "duet/runtime.hpp"
#include "duet/runtime/async_to_sync.hpp"

namespace db = duet::db;

namespace {

struct Note : db::Model<Note> {
  db::CharField text;
  static void meta(db::Meta<Note>& m) {
    m.app_label("testcases");
    m.field(&Note::text, "text").max_length(50);
  }
};

std::int64_t notes() {
  return Note::objects().count();
}

// Django's test runner sets the test database up before the first test; here an Environment does.
class Database : public ::testing::Environment {
 public:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("duet-testcases-" + std::to_string(::getpid()) + ".sqlite3");
    // SQLite, or PostgreSQL under DUET_TEST_DATABASE=postgresql (the _pg registration).
    db::testing::scratch_settings(path_);
    db::create_tables<Note>();
  }
  void TearDown() override {
    db::connections.close_all();
    if (db::testing::on_postgresql()) return;
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }

 private:
  std::filesystem::path path_;
};
const auto* const env = ::testing::AddGlobalTestEnvironment(new Database);

class NotesTest : public duet::test::TestCase {
 protected:
  static inline Note shared;
  void setUpTestData() override {
    ++setups;
    shared = Note::objects().create({{"text", "suite data"}});
  }
  static inline int setups = 0;
};

}  // namespace

// Both tests start from the suite's data alone, whichever runs first: the other's row was rolled back.
TEST_F(NotesTest, FirstSeesOnlySuiteData) {
  EXPECT_EQ(notes(), 1);
  Note::objects().create({{"text", "first"}});
  EXPECT_EQ(notes(), 2);
  EXPECT_EQ(setups, 1);
}

TEST_F(NotesTest, SecondSeesOnlySuiteData) {
  EXPECT_EQ(notes(), 1);
  Note::objects().create({{"text", "second"}});
  shared.text = "changed";
  shared.save();
  EXPECT_EQ(notes(), 2);
  EXPECT_EQ(setups, 1);  // once per suite
}

TEST_F(NotesTest, AtomicBlocksAreSavepoints) {
  EXPECT_TRUE(db::transaction::in_atomic_block());
  try {
    db::transaction::atomic tx;
    Note::objects().create({{"text", "undone"}});
    throw std::runtime_error("roll back the block only");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(notes(), 1);
  EXPECT_EQ(Note::objects().get().text.value(), "suite data");
}

TEST_F(NotesTest, OnCommitHooksDoNotRunButCanBeCaptured) {
  int ran = 0;
  {
    db::transaction::atomic tx;
    db::transaction::on_commit([&] { ++ran; });
  }
  EXPECT_EQ(ran, 0);  // the test's transaction never commits
  auto hooks = captureOnCommitCallbacks([&] {
    db::transaction::atomic tx;
    db::transaction::on_commit([&] { ran += 10; });
    Note::objects().create({{"text", "x"}});
  });
  EXPECT_EQ(hooks.size(), 1u);
  EXPECT_EQ(ran, 0);
  hooks = captureOnCommitCallbacks([&] { db::transaction::on_commit([&] { ran += 100; }); }, true);
  EXPECT_EQ(hooks.size(), 1u);
  EXPECT_EQ(ran, 100);
}

TEST_F(NotesTest, AssertNumQueriesCountsStatements) {
  assertNumQueries(1, [] { (void)notes(); });
  assertNumQueries(0, [] {});
  assertNumQueries(2, [] {
    (void)notes();
    (void)Note::objects().filter("text", "x").exists();
  });
}

duet::Task<std::int64_t> acount_notes() {
  auto all = Note::objects();
  co_return co_await all.acount();
}

// async_to_sync from the test thread runs the flow's sync work on this thread: inside the test's transaction.
TEST_F(NotesTest, AsyncOrmUnderAsyncToSyncSeesTheTestTransaction) {
  Note::objects().create({{"text", "uncommitted"}});
  auto n = duet::async_to_sync([] { return acount_notes(); });
  EXPECT_EQ(n, 2);
}

namespace {
class CommitsTest : public duet::test::TransactionTestCase {};
}  // namespace

// Runs after NotesTest: its suite data was rolled back too.
TEST_F(CommitsTest, StartsEmptyAndCommitsForReal) {
  EXPECT_EQ(notes(), 0);
  EXPECT_FALSE(db::transaction::in_atomic_block());
  int ran = 0;
  {
    db::transaction::atomic tx;
    Note::objects().create({{"text", "kept until the test ends"}});
    db::transaction::on_commit([&] { ++ran; });
  }
  EXPECT_EQ(ran, 1);
}

TEST_F(CommitsTest, TheTablesWereEmptiedAfterThePreviousTest) {
  EXPECT_EQ(notes(), 0);
  Note::objects().create({{"text", "a"}});
  duet::test::flush_database();
  EXPECT_EQ(notes(), 0);
}

// PostgreSQL's flush is TRUNCATE ... RESTART IDENTITY: keys start again at 1, as on a fresh database.
TEST_F(CommitsTest, FlushRestartsKeysOnPostgresql) {
  Note::objects().create({{"text", "a"}});
  Note::objects().create({{"text", "b"}});
  duet::test::flush_database();
  auto note = Note::objects().create({{"text", "c"}});
  if (db::testing::on_postgresql()) {
    EXPECT_EQ(note.pk().as_int(), 1);
  } else {
    EXPECT_GE(note.pk().as_int(), 1);
  }
}
