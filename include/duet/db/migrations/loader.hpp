// MigrationLoader: the registered migrations as a dependency graph, in a stable order, and the ProjectState
// at any node (django.db.migrations.loader + graph).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/migrations/migration.hpp"

namespace duet::db::migrations {

class MigrationLoader {
 public:
  /// Validates the graph: duplicate names, unknown dependencies and cycles throw ImproperlyConfigured
  /// naming the migrations involved.
  /// Keeps its own copy of the migrations (operations are shared, so this is cheap).
  explicit MigrationLoader(std::vector<Migration> migrations = registered_migrations());
  MigrationLoader(const MigrationLoader&) = delete;  // order() points into the copy
  MigrationLoader& operator=(const MigrationLoader&) = delete;

  /// Every migration, dependencies first; ties broken by (app, name) so the order is stable.
  const std::vector<const Migration*>& order() const noexcept { return order_; }
  const Migration* find(std::string_view app, std::string_view name) const noexcept;
  /// Throws ImproperlyConfigured ("Cannot find a migration matching ...").
  const Migration& get(std::string_view app, std::string_view name) const;
  /// A unique migration of `app` whose name starts with `prefix` ("0002" for "0002_post_summary").
  const Migration& get_by_prefix(std::string_view app, std::string_view prefix) const;
  std::vector<const Migration*> app_migrations(std::string_view app) const;
  std::set<std::string> apps() const;
  /// The app's last migration (nothing depends on it within the app); throws on two leaves (a conflict).
  std::optional<Dependency> leaf(std::string_view app) const;

  /// `key` and everything it depends on, transitively, in order.
  std::vector<const Migration*> ancestors(const Dependency& key) const;
  /// `key` and everything that depends on it, transitively, in order.
  std::vector<const Migration*> descendants(const Dependency& key) const;

  /// The state after applying `key`'s ancestors (and `key` itself when `inclusive`).
  ProjectState state_at(const Dependency& key, bool inclusive) const;
  /// The state after every migration.
  ProjectState project_state() const;

 private:
  std::vector<Migration> migrations_;
  std::vector<const Migration*> order_;
  std::map<Dependency, std::size_t> position_;
};

}  // namespace duet::db::migrations
