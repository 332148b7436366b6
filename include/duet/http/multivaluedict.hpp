// MultiValueDict: an ordered dict whose keys hold lists of values (django.utils.datastructures).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::http {

/// A missing key looked up with operator[] or at().
class MultiValueDictKeyError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

/// Mutating an immutable QueryDict (request.GET, request.POST).
class ImmutableError : public std::logic_error {
 public:
  ImmutableError() : std::logic_error("This QueryDict instance is immutable") {}
};

/// Keys keep their first insertion order; each key holds a list. Lookups by key return the LAST value of
/// the list, as in Django; getlist() returns all of them.
template <class V>
class MultiValueDict {
 public:
  using List = std::vector<V>;

  MultiValueDict() = default;
  MultiValueDict(std::initializer_list<std::pair<std::string, List>> init) {
    for (auto& [k, v] : init)
      setlist(k, v);
  }

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  /// The last value for `key`; throws MultiValueDictKeyError when absent (an empty list gives a
  /// default-constructed V, as Django gives []).
  V operator[](std::string_view key) const {
    auto* list = find(key);
    if (!list) throw MultiValueDictKeyError("'" + std::string(key) + "'");
    return list->empty() ? V{} : list->back();
  }
  V at(std::string_view key) const { return (*this)[key]; }

  std::optional<V> get(std::string_view key) const {
    auto* list = find(key);
    if (!list || list->empty()) return std::nullopt;
    return list->back();
  }
  V get(std::string_view key, V fallback) const {
    auto v = get(key);
    return v ? std::move(*v) : std::move(fallback);
  }

  /// Every value for `key` (empty when absent).
  const List& getlist(std::string_view key) const {
    static const List none;
    auto* list = find(key);
    return list ? *list : none;
  }

  /// Replaces the values of `key` with the single `value`.
  void set(std::string key, V value) {
    assert_mutable();
    setlist(std::move(key), List{std::move(value)});
  }
  void setlist(std::string key, List values) {
    assert_mutable();
    if (auto* list = find_mut(key)) {
      *list = std::move(values);
    } else {
      index_.emplace(key, entries_.size());
      entries_.emplace_back(std::move(key), std::move(values));
    }
  }
  void appendlist(std::string key, V value) {
    assert_mutable();
    if (auto* list = find_mut(key)) {
      list->push_back(std::move(value));
    } else {
      setlist(std::move(key), List{std::move(value)});
    }
  }
  V setdefault(std::string key, V fallback) {
    assert_mutable();
    if (auto v = get(key)) return *v;
    set(std::move(key), fallback);
    return fallback;
  }
  /// Removes `key` and returns its list (empty when absent).
  List poplist(std::string_view key) {
    assert_mutable();
    auto it = index_.find(key);
    if (it == index_.end()) return {};
    auto pos = it->second;
    List out = std::move(entries_[pos].second);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(pos));
    reindex();
    return out;
  }
  /// Removes `key` and returns its last value; throws MultiValueDictKeyError when absent.
  V pop(std::string_view key) {
    if (!contains(key)) throw MultiValueDictKeyError("'" + std::string(key) + "'");
    auto list = poplist(key);
    return list.empty() ? V{} : std::move(list.back());
  }
  bool erase(std::string_view key) {
    assert_mutable();
    if (!contains(key)) return false;
    poplist(key);
    return true;
  }
  void clear() {
    assert_mutable();
    entries_.clear();
    index_.clear();
  }
  /// Appends the values of `other` to ours (Django's update() extends, it does not replace).
  void update(const MultiValueDict& other) {
    for (const auto& [k, list] : other.entries_)
      for (const auto& v : list)
        appendlist(k, v);
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_)
      out.push_back(e.first);
    return out;
  }
  /// (key, last value) pairs, in key order.
  std::vector<std::pair<std::string, V>> items() const {
    std::vector<std::pair<std::string, V>> out;
    for (const auto& [k, list] : entries_)
      out.emplace_back(k, list.empty() ? V{} : list.back());
    return out;
  }
  /// (key, list) pairs, in key order.
  const std::vector<std::pair<std::string, List>>& lists() const noexcept { return entries_; }

  bool operator==(const MultiValueDict& other) const { return entries_ == other.entries_; }

 protected:
  void assert_mutable() const {
    if (!mutable_) throw ImmutableError();
  }
  bool mutable_ = true;

 private:
  const List* find(std::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  List* find_mut(std::string_view key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  void reindex() {
    index_.clear();
    for (std::size_t i = 0; i < entries_.size(); ++i)
      index_.emplace(entries_[i].first, i);
  }

  std::vector<std::pair<std::string, List>> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace duet::http
