// What the native async path's translation units share.
#pragma once

#include <string_view>

#include "duet/db/backends/postgresql/pool.hpp"

namespace duet::db::detail {

/// The transaction the current flow's aatomic pinned for `alias` on this loop, or null.
postgresql::Transaction* pinned_transaction(std::string_view alias);

}  // namespace duet::db::detail
