// The names Django's schema editors give the indexes and constraints they create, computed the same way so
// that `sqlmigrate` output compares with Django's and constraints can be dropped by name later.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace duet::db::migrations::ddl {

/// PostgreSQL's identifier limit (NAMEDATALEN - 1); Django's max_name_length on PostgreSQL.
inline constexpr std::size_t postgresql_max_name_length = 63;

/// Django's BaseDatabaseSchemaEditor._create_index_name: "<table>_<columns>_<md5[:8]><suffix>", shortened
/// to `max_length` the way Django shortens it ("blog_post_title_adf2f203", "..._fk_blog_author_id").
std::string index_name(std::string_view table, const std::vector<std::string>& columns,
                       std::string_view suffix, std::size_t max_length = postgresql_max_name_length);

/// The foreign key constraint's name: index_name with the suffix "_fk_<to_table>_<to_column>".
std::string foreign_key_name(std::string_view table, std::string_view column, std::string_view to_table,
                             std::string_view to_column);

/// The name PostgreSQL itself gives an unnamed constraint (makeObjectName): "<table>_<column>_<label>",
/// both parts trimmed, the longer first, to fit 63 bytes ("blog_author_email_key" for an inline UNIQUE).
std::string postgresql_default_name(std::string_view table, std::string_view column, std::string_view label);

}  // namespace duet::db::migrations::ddl
