// The variables a template renders with: a stack of scopes, as Django's Context.
#pragma once

#include "duet/template/value.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::templates {

namespace detail {
struct RenderState;
}

class Context {
 public:
  Context() { marks_.push_back(0); }
  Context(std::initializer_list<std::pair<std::string, Value>> values);
  explicit Context(const Dict& values);
  // The keys of a JSON object become variables (the JSON is shared, not copied per lookup).
  explicit Context(boost::json::value values);

  // Sets `key` in the innermost scope.
  void set(std::string_view key, Value value);
  // Sets `key` in the innermost scope that already has it, else the innermost (Django's set_upward).
  void set_upward(std::string_view key, Value value);
  // Adds values beneath every scope, so that the context's own values win (Django's RequestContext puts
  // the context processors' values there).
  void insert_below(const Dict& values);
  // Adds every key of a JSON object to the innermost scope.
  void update(boost::json::value values);
  // The innermost value of `key`, or nullptr. True, False and None are always defined.
  const Value* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // Scopes: each tag that adds variables pushes one and pops it when done.
  void push() { marks_.push_back(entries_.size()); }
  void pop();
  std::size_t depth() const { return marks_.size(); }

  bool autoescape() const { return autoescape_; }
  void set_autoescape(bool on) { autoescape_ = on; }

  // Per-render bookkeeping of the engine (block overrides, cycle positions).
  detail::RenderState* render_state() const { return state_; }
  void set_render_state(detail::RenderState* s) { state_ = s; }
  // Direct access to a slot of the innermost scope, for tags that rebind a name on every loop iteration.
  std::size_t bind(std::string_view key, Value value);
  Value& slot(std::size_t index) { return entries_[index].second; }

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  std::vector<std::size_t> marks_;
  bool autoescape_ = true;
  detail::RenderState* state_ = nullptr;
};

// Pushes a scope for the lifetime of the guard.
class ScopeGuard {
 public:
  explicit ScopeGuard(Context& c) : c_(c) { c_.push(); }
  ~ScopeGuard() { c_.pop(); }
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;

 private:
  Context& c_;
};

}  // namespace duet::templates
