// The compiled SQL of a query depends only on its shape (model, alias, lookups, ordering, slicing), not on
// the values it compares with: TechEmpower's `World.objects.filter(id=n).get()` compiles to the same text for
// every n. These caches keep, per thread, the checks and the SQL of the shapes seen, so a repeated query only
// collects its values.
#pragma once

#include <string>
#include <vector>

#include "duet/db/models/query.hpp"

namespace duet::db::detail {

/// Appends the shape of a condition to `key`; false when it is not cacheable (expressions, NULL values,
/// lookups whose parameters are derived from the value such as `contains`).
bool append_shape(const Q::Node& n, std::string& key);
/// The parameters of a cacheable condition, in the order the compiler binds them.
void append_params(const Q::Node& n, std::vector<Value>& params);

/// The shape of a whole select (compile_select), or false when it is not cacheable (annotations).
bool select_shape(const Query& q, std::string& key);

/// Query::add_q's eager check of `added` on `model` (no annotations) passed before for this shape.
bool shape_checked(const std::string& key);
void remember_checked(std::string key);

/// A cached compile_select() result for `key`: SQL and plan (the parameters are collected anew).
const CompiledQuery* cached_select(const std::string& key);
void remember_select(std::string key, const CompiledQuery& compiled);

}  // namespace duet::db::detail
