// MigrationAutodetector: diffs the declared models against the state the existing migrations produce and
// proposes new migrations (django.db.migrations.autodetector).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "duet/db/migrations/loader.hpp"

namespace duet::db::migrations {

class MigrationAutodetector {
 public:
  MigrationAutodetector(ProjectState from, ProjectState to) : from_(std::move(from)), to_(std::move(to)) {}

  /// One new migration per app that changed (only `apps` when not empty), numbered after the app's last
  /// and depending on it (and on other apps' latest migrations its new keys point into). `name` replaces
  /// the automatic name's part after the number.
  std::vector<Migration> changes(const MigrationLoader& loader, const std::set<std::string>& apps = {},
                                 const std::optional<std::string>& name = std::nullopt) const;

  /// The operations that turn `from` into `to` for one app, in an order that applies.
  std::vector<Operation> operations(const std::string& app) const;

 private:
  ProjectState from_;
  ProjectState to_;
};

/// "0002_post_summary": the number after `previous` (none: 0001) and a name from the operations.
std::string migration_name(const std::optional<std::string>& previous, const std::vector<Operation>& ops,
                           bool initial);

}  // namespace duet::db::migrations
