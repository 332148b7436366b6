#include "shape_cache.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "duet/db/settings.hpp"

namespace duet::db::detail {

namespace {

// Bounded: an application builds few query shapes, but a program generating them (say, `in` lists of every
// length) must not grow memory without limit. When full the cache starts over.
constexpr std::size_t kMaxShapes = 1024;

// The lookups whose SQL or parameters derive from the value (a pattern built from it, IS NULL or not):
// every other one, and a path without a lookup (exact), is `col op ?` with the value itself bound (`in`
// and `range` bind the list's items; its length is part of the shape).
constexpr std::array<std::string_view, 10> kValueDerived = {
    "iexact",   "contains",  "icontains", "startswith", "istartswith",
    "endswith", "iendswith", "isnull",    "regex",      "iregex"};

void append_pointer(std::string& key, const void* p) {
  char raw[sizeof p];
  std::memcpy(raw, &p, sizeof p);
  key.append(raw, sizeof raw);
}

void append_text(std::string& key, std::string_view s) {
  key.append(s);
  key.push_back('\0');
}

// Runs for every filter() and every compile of a cached shape: a plain field name ("id") is told apart by
// its last part's length alone (the value-derived lookups are 5 to 11 letters long), without a search.
bool cacheable_lookup(std::string_view lookup) {
  std::size_t start = lookup.size();
  while (start >= 2 && !(lookup[start - 1] == '_' && lookup[start - 2] == '_'))
    --start;
  std::string_view last = start >= 2 ? lookup.substr(start) : lookup;
  if (last.size() < 5 || last.size() > 11) return true;
  return std::find(kValueDerived.begin(), kValueDerived.end(), last) == kValueDerived.end();
}

// A condition a simple shape may have: one field compared with a (non-NULL) value.
bool simple_leaf(const Q::Node& n) {
  if (n.type != Q::Node::Type::Leaf) return false;
  const ExprNode& rhs = n.rhs.node();
  return rhs.kind == Expr::Kind::Value && !rhs.value.is_null();
}

// What of a simple select's shape is not its model, alias or condition's lookup and root: the bits that
// select_shape() and append_shape() put in the key.
unsigned simple_flags(const Query& q, const Window* window, const Q::Node* leaf) {
  const bool low = window ? window->low_mark != 0 : q.low_mark != 0;
  const bool high = window ? window->high_mark.has_value() : q.high_mark.has_value();
  return (q.distinct ? 1u : 0u) | (q.ordering_set ? 2u : 0u) | (q.reversed ? 4u : 0u) | (low ? 8u : 0u) |
         (high ? 16u : 0u) | (leaf ? 32u : 0u) | (leaf && leaf->negated ? 64u : 0u);
}

// The condition of `q` when its shape is simple (null when it has none); false when it is not simple.
bool simple_select(const Query& q, const Q::Node*& leaf) {
  if (!q.annotations.empty() || !q.order_by.empty() || !q.select_related.empty()) return false;
  leaf = q.where.node().get();
  return !leaf || simple_leaf(*leaf);
}

struct SimpleSelect {
  const ModelMeta* model = nullptr;
  const ModelMeta* root = nullptr;
  unsigned flags = 0;
  std::string alias;
  std::string lookup;
  const CachedSelect* entry = nullptr;
  /// get()'s verdict on the shape (window aside), when get() compiled it with this entry's window:
  /// -1 not known, 1 at most one row can match (no window), 0 several can ([0:21]).
  signed char one_row = -1;

  bool matches(const Query& q, const Q::Node* leaf, unsigned f) const {
    if (model != q.model || flags != f) return false;
    if (leaf && (root != leaf->root || lookup != leaf->lookup)) return false;
    return alias == q.alias;
  }
};

struct SimpleChecked {
  const ModelMeta* model = nullptr;
  const ModelMeta* root = nullptr;
  bool negated = false;
  std::string lookup;

  bool matches(const ModelMeta* m, const Q::Node& n) const {
    return model == m && root == n.root && negated == n.negated && lookup == n.lookup;
  }
};

// A few: an application's hot queries are a handful of shapes; the others take the keyed path. Replaced
// round robin.
constexpr std::size_t kSimple = 8;

template <class Entry>
struct SimpleTable {
  std::array<Entry, kSimple> entries;
  std::size_t size = 0, next = 0;

  Entry& slot() {
    Entry& e = entries[next];
    next = (next + 1) % kSimple;
    if (size < kSimple) ++size;
    return e;
  }
  void clear() { size = next = 0; }
};

/// Per thread (each event loop and sync thread its own): no locks on the request path. A new database
/// configuration (vendors may change) empties it.
struct Caches {
  std::uint64_t generation = 0;
  std::unordered_set<std::string> checked;
  std::unordered_map<std::string, CachedSelect> selects;
  // Entries of `selects` and `checked` for simple shapes: emptied with them (they point into `selects`).
  SimpleTable<SimpleSelect> simple_selects;
  SimpleTable<SimpleChecked> simple_checked;

  void sync() {
    auto g = configuration_generation();
    if (g == generation) return;
    generation = g;
    checked.clear();
    selects.clear();
    simple_selects.clear();
    simple_checked.clear();
  }
};

Caches& unsynced_caches() {
  thread_local Caches c;
  return c;
}

Caches& caches() {
  Caches& c = unsynced_caches();
  c.sync();
  return c;
}

}  // namespace

bool append_shape(const Q::Node& n, std::string& key) {
  key.push_back(static_cast<char>('0' + static_cast<int>(n.type) * 2 + (n.negated ? 1 : 0)));
  if (n.type != Q::Node::Type::Leaf) {
    key.push_back('(');
    for (auto& c : n.children) {
      if (!c || !append_shape(*c, key)) return false;
    }
    key.push_back(')');
    return true;
  }
  if (!cacheable_lookup(n.lookup)) return false;
  const ExprNode& rhs = n.rhs.node();
  char kind = 0;
  if (rhs.kind == Expr::Kind::Value) {
    if (rhs.value.is_null()) return false;  // `IS NULL`, no parameter
    kind = 'v';
  } else if (rhs.kind == Expr::Kind::List) {
    kind = 'l';
  } else {
    return false;
  }
  key.append(n.lookup);
  // The lookup's terminator, the model it was built from and the kind of value, in one append.
  char tail[1 + sizeof n.root + 1];
  tail[0] = '\0';
  std::memcpy(tail + 1, &n.root, sizeof n.root);
  tail[sizeof tail - 1] = kind;
  key.append(tail, sizeof tail);
  if (kind == 'l') append_text(key, std::to_string(rhs.list.size()));
  return true;
}

void append_params(const Q::Node& n, std::vector<Value>& params) {
  if (n.type != Q::Node::Type::Leaf) {
    for (auto& c : n.children)
      append_params(*c, params);
    return;
  }
  const ExprNode& rhs = n.rhs.node();
  if (rhs.kind == Expr::Kind::Value) {
    params.push_back(rhs.value);
  } else {
    params.insert(params.end(), rhs.list.begin(), rhs.list.end());
  }
}

bool select_shape(const Query& q, std::string& key, const Window* window) {
  if (!q.annotations.empty()) return false;
  key.reserve(128);
  key.push_back('S');
  append_pointer(key, q.model);
  append_text(key, q.alias);
  const bool low = window ? window->low_mark != 0 : q.low_mark != 0;
  const bool high = window ? window->high_mark.has_value() : q.high_mark.has_value();
  key.push_back(static_cast<char>('a' + (q.distinct ? 1 : 0) + (q.ordering_set ? 2 : 0) +
                                  (q.reversed ? 4 : 0) + (low ? 8 : 0) + (high ? 16 : 0)));
  for (auto& o : q.order_by) {
    append_text(key, o.path);
    key.push_back(o.descending ? '-' : '+');
    append_pointer(key, o.root);
  }
  key.push_back('|');
  for (auto& s : q.select_related)
    append_text(key, s);
  key.push_back('|');
  if (auto& root = q.where.node()) return append_shape(*root, key);
  return true;
}

bool shape_checked(const std::string& key) {
  return caches().checked.contains(key);
}

void remember_checked(std::string key) {
  auto& c = caches();
  if (c.checked.size() >= kMaxShapes) {
    c.checked.clear();
    c.simple_checked.clear();
  }
  c.checked.insert(std::move(key));
}

const CachedSelect* cached_select(const std::string& key) {
  auto& c = caches();
  auto it = c.selects.find(key);
  return it == c.selects.end() ? nullptr : &it->second;
}

const CachedSelect* remember_select(std::string key, const CompiledQuery& compiled, Vendor vendor) {
  auto& c = caches();
  if (c.selects.size() >= kMaxShapes) {
    c.selects.clear();
    c.simple_selects.clear();
  }
  CachedSelect entry{{}, vendor, compiled.params.size()};
  entry.compiled.sql = compiled.sql;
  entry.compiled.plan = compiled.plan;
  entry.compiled.native_sql = compiled.native_sql;
  return &c.selects.insert_or_assign(std::move(key), std::move(entry)).first->second;
}

const CachedSelect* cached_simple_select(const Query& q, const Window* window) {
  const Q::Node* leaf = nullptr;
  if (!simple_select(q, leaf)) return nullptr;
  const unsigned flags = simple_flags(q, window, leaf);
  auto& t = caches().simple_selects;
  for (std::size_t i = 0; i < t.size; ++i) {
    if (t.entries[i].matches(q, leaf, flags)) return t.entries[i].entry;
  }
  return nullptr;
}

void remember_simple_select(const Query& q, const Window* window, const CachedSelect* entry) {
  const Q::Node* leaf = nullptr;
  if (!entry || !simple_select(q, leaf)) return;
  // Not synced: `entry` was found or stored just now, under the configuration the caches hold; were it
  // changed since, the next lookup empties this table with the entries it points to.
  SimpleSelect& e = unsynced_caches().simple_selects.slot();
  e.model = q.model;
  e.root = leaf ? leaf->root : nullptr;
  e.flags = simple_flags(q, window, leaf);
  e.alias = q.alias;
  if (leaf) {
    e.lookup = leaf->lookup;
  } else {
    e.lookup.clear();
  }
  e.entry = entry;
  e.one_row = -1;
}

const CachedSelect* cached_simple_get(const Query& q, bool& limited) {
  const Q::Node* leaf = nullptr;
  if (!simple_select(q, leaf)) return nullptr;
  const unsigned unlimited = simple_flags(q, nullptr, leaf);
  constexpr unsigned high_mark = 16u;  // simple_flags()'s bit for a window's end
  auto& t = caches().simple_selects;
  for (std::size_t i = 0; i < t.size; ++i) {
    const SimpleSelect& e = t.entries[i];
    if (e.one_row < 0) continue;
    if (e.matches(q, leaf, e.one_row ? unlimited : unlimited | high_mark)) {
      limited = e.one_row == 0;
      return e.entry;
    }
  }
  return nullptr;
}

void remember_simple_get(const Query& q, const Window* window, bool one_row) {
  const Q::Node* leaf = nullptr;
  if (!simple_select(q, leaf)) return;
  const unsigned flags = simple_flags(q, window, leaf);
  auto& t = caches().simple_selects;
  for (std::size_t i = 0; i < t.size; ++i) {
    SimpleSelect& e = t.entries[i];
    if (e.matches(q, leaf, flags)) {
      e.one_row = one_row ? 1 : 0;
      return;
    }
  }
}

bool simple_checked(const ModelMeta* model, const Q::Node& n) {
  if (!simple_leaf(n)) return false;
  auto& t = caches().simple_checked;
  for (std::size_t i = 0; i < t.size; ++i) {
    if (t.entries[i].matches(model, n)) return true;
  }
  return false;
}

void remember_simple_checked(const ModelMeta* model, const Q::Node& n) {
  if (!simple_leaf(n)) return;
  SimpleChecked& e = caches().simple_checked.slot();
  e.model = model;
  e.root = n.root;
  e.negated = n.negated;
  e.lookup = n.lookup;
}

}  // namespace duet::db::detail
