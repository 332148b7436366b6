// MigrationRecorder: the duet_migrations table recording which migrations a database has applied.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "duet/db/migrations/migration.hpp"
#include "duet/db/settings.hpp"

namespace duet::db::migrations {

class MigrationRecorder {
 public:
  static constexpr std::string_view table = "duet_migrations";
  explicit MigrationRecorder(std::string_view alias = DEFAULT_DB_ALIAS) : alias_(alias) {}

  bool has_table() const;
  /// Creates duet_migrations (id, app, name, applied) if it does not exist.
  void ensure_schema() const;
  std::set<Dependency> applied() const;
  void record_applied(std::string_view app, std::string_view name) const;
  void record_unapplied(std::string_view app, std::string_view name) const;

 private:
  std::string alias_;
};

}  // namespace duet::db::migrations
