#include "filters.hpp"

#include "text.hpp"

#include <cmath>

namespace duet::templates {

namespace detail {

std::optional<std::int64_t> py_int(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Int:
      return v.as_int();
    case Value::Kind::Bool:
      return v.as_bool() ? 1 : 0;
    case Value::Kind::Float:
      if (!std::isfinite(v.as_double()) || std::fabs(v.as_double()) > 9e18) return std::nullopt;
      return static_cast<std::int64_t>(v.as_double());
    case Value::Kind::String: {
      std::int64_t i;
      if (parse_int(v.string_view(), i)) return i;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<double> py_float(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Int:
      return static_cast<double>(v.as_int());
    case Value::Kind::Bool:
      return v.as_bool() ? 1.0 : 0.0;
    case Value::Kind::Float:
      return v.as_double();
    case Value::Kind::String: {
      double d;
      if (parse_float(v.string_view(), d)) return d;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

void add(Library& lib, const char* name, FilterArg arg, bool is_safe,
         std::function<Value(const Value&, const Value*, bool)> fn) {
  lib.filter(name, FilterDef{std::move(fn), arg, is_safe});
}

}  // namespace detail

const Library& builtin_filters() {
  static const Library lib = [] {
    Library l;
    detail::register_string_filters(l);
    detail::register_html_filters(l);
    detail::register_list_filters(l);
    detail::register_number_filters(l);
    detail::register_urlize_filters(l);
    detail::register_truncate_html_filters(l);
    return l;
  }();
  return lib;
}

}  // namespace duet::templates
