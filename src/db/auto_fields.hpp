// What saving an instance does on both paths, the sync save() (instance.cpp) and the native async one
// (async_query.cpp), so the two stamp and bind alike.
#pragma once

#include <cstddef>
#include <string>

#include "duet/db/models/meta.hpp"
#include "duet/db/value.hpp"

namespace duet::db::detail {

/// The time auto_now / auto_now_add fields get: now, to the microsecond both databases keep.
DateTime auto_field_now();
/// Sets auto_now fields, and auto_now_add ones on an insert (`adding`) unless already set.
void stamp_auto_fields(const ModelMeta& meta, void* obj, bool adding);
/// "?, ?, ?" for n values.
std::string placeholder_list(std::size_t n);

}  // namespace duet::db::detail
