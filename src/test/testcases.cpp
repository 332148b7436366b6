#include "duet/test/testcases.hpp"

#include <set>

#include "duet/db/exceptions.hpp"
#include "duet/db/models/meta.hpp"

namespace duet::test {

namespace {

// The suite-wide transaction of TestCase: opened before a suite's first test, rolled back after its last.
struct SuiteState {
  const ::testing::TestSuite* suite = nullptr;
  std::vector<std::unique_ptr<db::transaction::atomic>> atomics;
  std::vector<std::string> aliases;
};
SuiteState& suite_state() {
  static SuiteState s;
  return s;
}

void roll_back(std::vector<std::unique_ptr<db::transaction::atomic>>& atomics,
               const std::vector<std::string>& aliases) {
  // Innermost first: set_rollback marks the innermost block of the alias.
  for (std::size_t i = atomics.size(); i-- > 0;) {
    db::transaction::set_rollback(true, aliases[i]);
    atomics[i].reset();
  }
  atomics.clear();
}

void end_suite() {
  auto& s = suite_state();
  if (!s.suite) return;
  roll_back(s.atomics, s.aliases);
  s.suite = nullptr;
  s.aliases.clear();
}

}  // namespace

void flush_database(std::string_view alias) {
  auto& conn = db::connections[alias];
  const bool postgresql = conn.vendor() == "postgresql";
  std::set<std::string> existing;
  conn.for_each(postgresql ? "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                           : "SELECT name FROM sqlite_master WHERE type = 'table'",
                {}, [&](const db::Row& r) { existing.insert(r.at(0).as_string()); });
  std::vector<std::string> tables;
  for (const db::ModelMeta* m : db::all_models()) {
    if (existing.count(m->db_table)) tables.push_back(m->db_table);
    for (auto& f : m->many_to_many) {
      if (existing.count(f.through_table)) tables.push_back(f.through_table);
    }
  }
  if (tables.empty()) return;
  if (postgresql) {
    // Django's sql_flush on PostgreSQL: one TRUNCATE, keys restarting at 1 as on a fresh database.
    std::string list;
    for (auto& t : tables)
      list += (list.empty() ? "" : ", ") + db::detail::quote_name(t);
    conn.execute_script("TRUNCATE " + list + " RESTART IDENTITY CASCADE");
    return;
  }
  // Keys are deferred (checked at COMMIT), so the order of the deletes does not matter inside one
  // transaction.
  db::transaction::atomic tx(alias);
  for (auto& t : tables)
    conn.execute("DELETE FROM " + db::detail::quote_name(t));
}

void TransactionTestCase::TearDown() {
  for (auto& alias : databases())
    flush_database(alias);
}

void TestCase::SetUp() {
  auto& s = suite_state();
  const ::testing::TestSuite* current = ::testing::UnitTest::GetInstance()->current_test_suite();
  if (s.suite != current) {
    end_suite();  // a suite whose TearDownTestSuite was hidden by the fixture
    s.suite = current;
    s.aliases = databases();
    for (auto& alias : s.aliases)
      s.atomics.push_back(std::make_unique<db::transaction::atomic>(alias));
    setUpTestData();
  }
  for (auto& alias : databases())
    atomics_.push_back(std::make_unique<db::transaction::atomic>(alias));
}

void TestCase::TearDown() {
  roll_back(atomics_, databases());
}

void TestCase::TearDownTestSuite() {
  end_suite();
}

}  // namespace duet::test
