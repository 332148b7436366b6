// Libraries of filters and tags registered from C++: the builtins, and what {% load name %} brings in.
#pragma once

#include "duet/template/context.hpp"
#include "duet/template/value.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace duet::templates {

enum class FilterArg { None, Required, Optional };

struct FilterDef {
  // `arg` is nullptr when the template gave no argument; `autoescape` is the context's setting.
  std::function<Value(const Value& input, const Value* arg, bool autoescape)> fn;
  FilterArg arg = FilterArg::None;
  // Django's is_safe: a safe input gives a safe output.
  bool is_safe = false;
};

// A tag called like a function: {% name arg1 key=arg2 %} or {% name arg as var %}. Its result is
// escaped when autoescaping is on (as Django's simple_tag).
using SimpleTag = std::function<Value(Context& context, const List& args, const Dict& kwargs)>;

class Library {
 public:
  template <class F>
  requires std::is_invocable_r_v<Value, F, const Value&> Library& filter(std::string name, F fn,
                                                                         bool is_safe = false) {
    return filter(std::move(name),
                  FilterDef{[fn = std::move(fn)](const Value& v, const Value*, bool) { return Value(fn(v)); },
                            FilterArg::None, is_safe});
  }
  template <class F>
  requires std::is_invocable_r_v<Value, F, const Value&, const Value&> Library& filter(std::string name, F fn,
                                                                                       bool is_safe = false) {
    return filter(std::move(name), FilterDef{[fn = std::move(fn)](const Value& v, const Value* a, bool) {
                                               return Value(fn(v, *a));
                                             },
                                             FilterArg::Required, is_safe});
  }
  Library& filter(std::string name, FilterDef def) {
    filters_[std::move(name)] = std::move(def);
    return *this;
  }
  Library& simple_tag(std::string name, SimpleTag fn) {
    tags_[std::move(name)] = std::move(fn);
    return *this;
  }

  const FilterDef* find_filter(std::string_view name) const {
    auto it = filters_.find(std::string(name));
    return it == filters_.end() ? nullptr : &it->second;
  }
  const SimpleTag* find_tag(std::string_view name) const {
    auto it = tags_.find(std::string(name));
    return it == tags_.end() ? nullptr : &it->second;
  }
  const std::unordered_map<std::string, FilterDef>& filters() const { return filters_; }
  const std::unordered_map<std::string, SimpleTag>& tags() const { return tags_; }

 private:
  std::unordered_map<std::string, FilterDef> filters_;
  std::unordered_map<std::string, SimpleTag> tags_;
};

// Django's built-in filters.
const Library& builtin_filters();

}  // namespace duet::templates
