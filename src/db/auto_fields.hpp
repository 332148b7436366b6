// What saving an instance does on both paths, the sync save() (instance.cpp) and the native async one
// (async_query.cpp), so the two stamp and bind alike.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "duet/db/models/meta.hpp"
#include "duet/db/models/query.hpp"
#include "duet/db/value.hpp"

namespace duet::db::detail {

/// The time auto_now / auto_now_add fields get: now, to the microsecond both databases keep.
DateTime auto_field_now();
/// Sets auto_now fields, and auto_now_add ones on an insert (`adding`) unless already set.
void stamp_auto_fields(const ModelMeta& meta, void* obj, bool adding);
/// "?, ?, ?" for n values.
std::string placeholder_list(std::size_t n);

/// Django's checks of save()'s options, before anything is written: ValueError for force_insert with
/// update_fields, and for update_fields on an instance without a primary key.
void check_save_options(const ModelMeta& meta, const void* obj, bool force_insert,
                        const std::vector<std::string>& update_fields);
/// The UPDATE a save() of an instance with a primary key tries first: `update_fields` (each auto_now one
/// stamped), or every field but the key (auto fields stamped as for `state.adding`). nullopt when there is
/// nothing to set (a model of a key alone). ValueError names a field that is not a concrete one.
std::optional<CompiledQuery> compile_save_update(const ModelMeta& meta, void* obj, const ModelState& state,
                                                 const std::vector<std::string>& update_fields);

}  // namespace duet::db::detail
