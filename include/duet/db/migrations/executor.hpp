// MigrationExecutor: plans and runs migrations forwards and backwards on one database alias, each migration
// in its own transaction (django.db.migrations.executor).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/migrations/loader.hpp"
#include "duet/db/migrations/recorder.hpp"

namespace duet::db::migrations {

struct PlanStep {
  const Migration* migration;
  bool backwards;
};

/// What to migrate to: the app's latest migration (name empty), a named one, or "zero" (unapply all).
struct Target {
  std::string app;
  std::string name;
};

class MigrationExecutor {
 public:
  explicit MigrationExecutor(const MigrationLoader& loader, std::string_view alias = DEFAULT_DB_ALIAS)
      : loader_(loader), alias_(alias), recorder_(alias) {}

  /// The steps that bring the database to `targets` (every app's latest when empty), given what is applied.
  std::vector<PlanStep> plan(const std::vector<Target>& targets) const;
  /// Runs the steps in order. Each migration runs in one transaction with foreign key enforcement off (the
  /// SQLite rebuild needs it); the keys are checked before COMMIT and a violation rolls back.
  /// `progress` is called with the step before ("start") and after ("done") it.
  void migrate(const std::vector<PlanStep>& plan,
               const std::function<void(const PlanStep&, std::string_view event)>& progress = {}) const;
  /// Convenience: plan(targets) then migrate.
  void migrate(const std::vector<Target>& targets = {}) const { migrate(plan(targets)); }

  /// The SQL a migration runs, without running it (sqlmigrate).
  std::vector<std::pair<std::string, std::vector<std::string>>> collect_sql(const Migration& m,
                                                                            bool backwards) const;

  const MigrationRecorder& recorder() const noexcept { return recorder_; }
  const MigrationLoader& loader() const noexcept { return loader_; }

 private:
  /// Applies (or with `backwards`, unapplies) one migration and records it.
  void run(const Migration& m, bool backwards) const;

  const MigrationLoader& loader_;
  std::string alias_;
  MigrationRecorder recorder_;
};

}  // namespace duet::db::migrations
