// Shared helpers of the built-in filters (Python conversions) and their registration functions.
#pragma once

#include "duet/template/library.hpp"
#include "duet/template/value.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace duet::templates::detail {

// Python int(v): ints, bools, floats (truncated), integer strings.
std::optional<std::int64_t> py_int(const Value& v);
// Python float(v): numbers and numeric strings.
std::optional<double> py_float(const Value& v);
// Registers a filter that takes no argument / a required one / an optional one.
void add(Library& lib, const char* name, FilterArg arg, bool is_safe,
         std::function<Value(const Value&, const Value*, bool)> fn);

void register_string_filters(Library& lib);
void register_html_filters(Library& lib);
void register_list_filters(Library& lib);
void register_number_filters(Library& lib);
void register_urlize_filters(Library& lib);
void register_truncate_html_filters(Library& lib);

}  // namespace duet::templates::detail
