// MigrationWriter: a migration as a C++ source file that a person can read, review and edit.
#pragma once

#include <string>
#include <string_view>

#include "duet/db/migrations/migration.hpp"

namespace duet::db::migrations {

/// The whole file: includes, then one static Registration of the migration.
std::string write_migration(const Migration& m);

namespace source {
/// "\"text\"" with C++ escapes.
std::string quoted(std::string_view s);
/// `Field("title", FieldType::CharField).max_length(200)` (only the options that differ from the defaults).
std::string field(const Field& f);
/// `0`, `"d"`, `1.5`, `nullptr`, `duet::db::Blob{0x00}`: a Value as a C++ initializer.
std::string value(const Value& v);
std::string strings(const std::vector<std::string>& list);
std::string index(const Index& i);
std::string constraint(const Constraint& c);
std::string through(const ThroughTable& t);
std::string options(const ModelOptions& o);
}  // namespace source

}  // namespace duet::db::migrations
