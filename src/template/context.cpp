#include "duet/template/context.hpp"

#include <boost/json.hpp>

namespace duet::templates {

namespace {
const Value kTrue(true), kFalse(false), kNone;
}

Context::Context(std::initializer_list<std::pair<std::string, Value>> values) : Context() {
  for (const auto& [k, v] : values)
    set(k, v);
}

Context::Context(const Dict& values) : Context() {
  for (const auto& [k, v] : values)
    set(k, v);
}

Context::Context(boost::json::value values) : Context() {
  update(std::move(values));
}

void Context::update(boost::json::value values) {
  if (!values.is_object()) return;
  Value root(std::move(values));
  List keys;
  root.items(keys);
  for (const auto& k : keys) {
    Value v;
    root.lookup(k.string_view(), v);
    set(k.string_view(), std::move(v));
  }
}

void Context::set(std::string_view key, Value value) {
  for (std::size_t i = marks_.back(); i < entries_.size(); ++i) {
    if (entries_[i].first == key) {
      entries_[i].second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::string(key), std::move(value));
}

std::size_t Context::bind(std::string_view key, Value value) {
  set(key, std::move(value));
  for (std::size_t i = entries_.size(); i-- > marks_.back();)
    if (entries_[i].first == key) return i;
  return entries_.size() - 1;
}

void Context::set_upward(std::string_view key, Value value) {
  for (std::size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].first == key) {
      entries_[i].second = std::move(value);
      return;
    }
  }
  set(key, std::move(value));
}

const Value* Context::find(std::string_view key) const {
  for (std::size_t i = entries_.size(); i-- > 0;)
    if (entries_[i].first == key) return &entries_[i].second;
  if (key == "True") return &kTrue;
  if (key == "False") return &kFalse;
  if (key == "None") return &kNone;
  return nullptr;
}

void Context::insert_below(const Dict& values) {
  if (values.empty()) return;
  entries_.insert(entries_.begin(), values.begin(), values.end());
  for (std::size_t i = 1; i < marks_.size(); ++i)
    marks_[i] += values.size();
}

void Context::pop() {
  if (marks_.size() <= 1) return;  // the base scope stays (Django raises ContextPopException)
  entries_.resize(marks_.back());
  marks_.pop_back();
}

}  // namespace duet::templates
