// The part of filling an object from a row that every row form shares (a Row, or libpq's result read in
// place): the model's own columns, in field order, then the state of an object loaded from `alias`.
#pragma once

#include <cstddef>
#include <string>

#include "duet/db/models/meta.hpp"
#include "duet/db/models/query.hpp"

namespace duet::db::detail {

/// The state of an object just filled from a row of `alias`.
inline void mark_loaded(ModelState& state, const std::string& alias) {
  state.adding = false;
  state.db = alias;
  state.annotations.clear();
}

/// `value_at(i)` gives column i's Value (by value or by reference) for i < `columns`.
template <class ValueAt>
void hydrate_own_fields(const ModelMeta& meta, void* obj, ModelState& state, std::size_t columns,
                        ValueAt&& value_at, const std::string& alias) {
  for (std::size_t i = 0; i < columns; ++i)
    meta.fields[i].assign(obj, value_at(i));
  mark_loaded(state, alias);
}

}  // namespace duet::db::detail
