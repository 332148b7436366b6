// Migration and its registry (django.db.migrations.Migration and the loader's source of migrations).
#pragma once

#include <string>
#include <vector>

#include "duet/db/migrations/operations.hpp"

namespace duet::db::migrations {

struct Dependency {
  std::string app;
  std::string name;
  friend bool operator==(const Dependency&, const Dependency&) = default;
  friend auto operator<=>(const Dependency&, const Dependency&) = default;
};

/// One migration: what a migration file declares.
///
///     const duet::db::migrations::Registration registration{{
///         .app = "blog",
///         .name = "0002_post_summary",
///         .dependencies = {{"blog", "0001_initial"}},
///         .operations = {AddField("post", Field("summary", FieldType::TextField).default_(""))},
///     }};
struct Migration {
  std::string app;
  std::string name;
  std::vector<Dependency> dependencies;
  std::vector<Operation> operations;
  /// Run inside one transaction (all of duet's operations can; false for RunSQL that cannot).
  bool atomic = true;

  Dependency key() const { return {app, name}; }
};

/// Registers a migration with the process at static initialisation; one per migration file. Compile the
/// files into the executable itself (a static library would let the linker drop them).
class Registration {
 public:
  explicit Registration(Migration m);
};

/// Registers a migration (what Registration does); a duplicate app/name throws at load time.
void register_migration(Migration m);
/// Every registered migration, in registration order.
const std::vector<Migration>& registered_migrations();
/// Forgets every registered migration (tests).
void clear_registered_migrations();

}  // namespace duet::db::migrations
