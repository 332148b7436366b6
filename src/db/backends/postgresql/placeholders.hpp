// The ORM's compiler emits SQLite-style `?` parameters; libpq wants `$1, $2, ...`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace duet::db::postgresql {

/// Rewrites each `?` to `$1`, `$2`, ... in order, leaving alone the ones inside '...' / E'...' string
/// literals, "..." identifiers, $tag$...$tag$ bodies and -- / /* */ comments (nested, as PostgreSQL allows).
/// An unterminated literal or comment is copied as is: the server reports the syntax error, with its
/// position.
std::string to_dollar_placeholders(std::string_view sql);
/// The same, also giving the number of parameters found (to check it against the values bound).
std::string to_dollar_placeholders(std::string_view sql, std::size_t& count);

}  // namespace duet::db::postgresql
