#include "duet/db/migrations/migration.hpp"

#include <mutex>

namespace duet::db::migrations {

namespace {
std::vector<Migration>& registry() {
  static std::vector<Migration> r;
  return r;
}
}  // namespace

Registration::Registration(Migration m) {
  register_migration(std::move(m));
}

void register_migration(Migration m) {
  registry().push_back(std::move(m));
}

const std::vector<Migration>& registered_migrations() {
  return registry();
}

void clear_registered_migrations() {
  registry().clear();
}

}  // namespace duet::db::migrations
