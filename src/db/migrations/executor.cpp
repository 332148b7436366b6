#include "duet/db/migrations/executor.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/migrations/schema_editor.hpp"
#include "duet/db/transaction.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::db::migrations {

std::vector<PlanStep> MigrationExecutor::plan(const std::vector<Target>& targets_in) const {
  std::vector<Target> targets = targets_in;
  if (targets.empty())
    for (auto& app : loader_.apps())
      targets.push_back({app, {}});
  std::set<Dependency> applied = recorder_.applied();
  std::vector<PlanStep> out;
  for (auto& t : targets) {
    if (loader_.app_migrations(t.app).empty())
      throw ImproperlyConfigured(fmt::format("App '{}' does not have migrations.", t.app));
    std::vector<const Migration*> back;
    if (t.name == "zero") {
      // Unapply every applied migration of the app and whatever depends on them.
      for (auto* root : loader_.app_migrations(t.app))
        for (auto* m : loader_.descendants(root->key()))
          if (applied.count(m->key()) && std::find(back.begin(), back.end(), m) == back.end())
            back.push_back(m);
    } else {
      auto key = t.name.empty() ? *loader_.leaf(t.app) : loader_.get_by_prefix(t.app, t.name).key();
      if (applied.count(key) && !t.name.empty()) {
        // Migrating back: unapply the target's children within its app, and their dependents.
        for (auto* m : loader_.app_migrations(t.app)) {
          if (std::find(m->dependencies.begin(), m->dependencies.end(), key) == m->dependencies.end())
            continue;
          for (auto* d : loader_.descendants(m->key()))
            if (applied.count(d->key()) && std::find(back.begin(), back.end(), d) == back.end())
              back.push_back(d);
        }
      } else {
        for (auto* m : loader_.ancestors(key)) {
          if (applied.count(m->key())) continue;
          out.push_back({m, false});
          applied.insert(m->key());
        }
      }
    }
    // Backwards in reverse dependency order.
    std::sort(back.begin(), back.end(), [&](const Migration* a, const Migration* b) {
      auto& order = loader_.order();
      return std::find(order.begin(), order.end(), a) > std::find(order.begin(), order.end(), b);
    });
    for (auto* m : back) {
      out.push_back({m, true});
      applied.erase(m->key());
    }
  }
  return out;
}

namespace {
// Django's SQLite schema editor turns foreign key enforcement off for its rebuilds (a DROP TABLE would
// otherwise cascade) and checks the keys itself before committing. The pragma is a no-op inside a
// transaction, so this must run outside any atomic block.
class ConstraintCheckingOff {
 public:
  explicit ConstraintCheckingOff(Connection& c) : c_(c) {
    if (c_.in_atomic_block())
      throw NotSupportedError(
          "SQLite schema editor cannot be used inside an atomic block: foreign key checks cannot be turned "
          "off there. Run migrations outside transaction::atomic.");
    c_.execute_script("PRAGMA foreign_keys = OFF");
    c_.execute_script("PRAGMA legacy_alter_table = ON");
  }
  ~ConstraintCheckingOff() {
    try {
      c_.execute_script("PRAGMA legacy_alter_table = OFF");
      c_.execute_script("PRAGMA foreign_keys = ON");
    } catch (...) {
    }
  }
  ConstraintCheckingOff(const ConstraintCheckingOff&) = delete;
  ConstraintCheckingOff& operator=(const ConstraintCheckingOff&) = delete;

 private:
  Connection& c_;
};

void check_foreign_keys(Connection& c) {
  auto rows = c.query("PRAGMA foreign_key_check");
  if (rows.empty()) return;
  auto& r = rows.front();
  throw IntegrityError(fmt::format(
      "The migration left {} row(s) with an invalid foreign key; first: table '{}' rowid {} references '{}'",
      rows.size(), r[0].is_null() ? "" : r[0].as_string(), r[1].is_null() ? "?" : r[1].repr(),
      r[2].is_null() ? "" : r[2].as_string()));
}

// Runs `m`'s operations one by one, forwards or backwards, threading the state through them.
void run_operations(const Migration& m, bool backwards, SchemaEditor& editor, ProjectState before) {
  std::vector<ProjectState> states{before};
  for (auto& op : m.operations) {
    ProjectState next = states.back();
    op->state_forwards(m.app, next);
    states.push_back(std::move(next));
  }
  if (!backwards) {
    for (std::size_t i = 0; i < m.operations.size(); ++i)
      m.operations[i]->database_forwards(m.app, editor, states[i], states[i + 1]);
  } else {
    for (std::size_t i = m.operations.size(); i-- > 0;) {
      if (!m.operations[i]->reversible())
        throw NotSupportedError(fmt::format("Operation {} in {}.{} is not reversible",
                                            m.operations[i]->describe(), m.app, m.name));
      m.operations[i]->database_backwards(m.app, editor, states[i + 1], states[i]);
    }
  }
}
}  // namespace

// One migration in either direction: its operations and its record change in one transaction (unless the
// migration is marked non-atomic), with foreign keys checked before the commit.
// On PostgreSQL the DDL is transactional and the keys are DEFERRABLE INITIALLY DEFERRED: no pragma is needed,
// and SET CONSTRAINTS ALL IMMEDIATE checks the keys before the commit.
void MigrationExecutor::run(const Migration& m, bool backwards) const {
  auto& conn = connections[alias_];
  recorder_.ensure_schema();
  SchemaEditor editor(alias_);
  const bool sqlite = !editor.postgresql();
  std::optional<ConstraintCheckingOff> off;
  if (sqlite) off.emplace(conn);
  std::optional<transaction::atomic> tx;
  if (m.atomic) tx.emplace(alias_);
  run_operations(m, backwards, editor, loader_.state_at(m.key(), false));
  editor.execute_deferred();
  if (backwards) {
    recorder_.record_unapplied(m.app, m.name);
  } else {
    recorder_.record_applied(m.app, m.name);
  }
  if (sqlite) {
    check_foreign_keys(conn);
  } else {
    // The deferred keys are checked now, as a statement, so that a dangling one fails here with
    // IntegrityError and rolls the migration back, rather than at COMMIT in a destructor. Back to DEFERRED
    // for the rest of a caller's transaction.
    conn.execute_script("SET CONSTRAINTS ALL IMMEDIATE");
    conn.execute_script("SET CONSTRAINTS ALL DEFERRED");
  }
}

void MigrationExecutor::migrate(
    const std::vector<PlanStep>& plan,
    const std::function<void(const PlanStep&, std::string_view)>& progress) const {
  ensure_sync_context("MigrationExecutor::migrate()");
  for (auto& step : plan) {
    if (progress) progress(step, "start");
    run(*step.migration, step.backwards);
    if (progress) progress(step, "done");
  }
}

std::vector<std::pair<std::string, std::vector<std::string>>> MigrationExecutor::collect_sql(
    const Migration& m, bool backwards) const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  ProjectState state = loader_.state_at(m.key(), false);
  std::vector<ProjectState> states{state};
  for (auto& op : m.operations) {
    ProjectState next = states.back();
    op->state_forwards(m.app, next);
    states.push_back(std::move(next));
  }
  // One editor for the whole migration: its deferred statements (PostgreSQL's keys and indexes) come last,
  // under the last operation, as Django's sqlmigrate prints them.
  SchemaEditor editor(alias_, /*collect_only=*/true);
  auto one = [&](std::size_t i) {
    const std::size_t before = editor.collected_sql().size();
    if (backwards) {
      if (!m.operations[i]->reversible()) {
        out.push_back({m.operations[i]->describe(), {"-- THIS OPERATION IS NOT REVERSIBLE"}});
        return;
      }
      m.operations[i]->database_backwards(m.app, editor, states[i + 1], states[i]);
    } else {
      m.operations[i]->database_forwards(m.app, editor, states[i], states[i + 1]);
    }
    out.push_back(
        {m.operations[i]->describe(),
         std::vector<std::string>(editor.collected_sql().begin() + before, editor.collected_sql().end())});
  };
  if (backwards) {
    for (std::size_t i = m.operations.size(); i-- > 0;)
      one(i);
  } else {
    for (std::size_t i = 0; i < m.operations.size(); ++i)
      one(i);
  }
  const std::size_t listed = editor.collected_sql().size();
  editor.execute_deferred();
  if (!out.empty()) {
    const auto& all = editor.collected_sql();
    out.back().second.insert(out.back().second.end(), all.begin() + listed, all.end());
  }
  return out;
}

}  // namespace duet::db::migrations
