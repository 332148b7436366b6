// prefetch_related(): each relation of a list of instances loaded in one more query, Django's semantics.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "duet/db/exceptions.hpp"
#include "duet/db/models/query.hpp"

namespace duet::db {

namespace detail {
namespace {

// SQLite binds up to 32766 values; batches keep each IN list well below and the statements cacheable.
constexpr std::size_t kBatch = 500;
// The extra column a many-to-many prefetch selects: which instance a row belongs to (Django's name).
constexpr const char* kSourceKey = "_prefetch_related_val";

enum class Kind { ForwardKey, ReverseKey, ManyToMany, ReverseManyToMany };

struct Step {
  Kind kind;
  const ModelMeta* target;
  const FieldInfo* key = nullptr;       // ForwardKey: on the instance; ReverseKey: on the target
  const ManyToManyInfo* m2m = nullptr;  // either many-to-many kind
  std::string cache_name;               // where the results are kept (ModelState::prefetched)
};

std::string choices_of(const ModelMeta& m) {
  std::set<std::string> names;
  for (auto& f : m.fields) {
    if (f.is_relation()) names.insert(f.name);
  }
  for (auto& f : m.many_to_many)
    names.insert(f.name);
  for (auto& r : m.related_objects())
    names.insert(r.accessor);
  for (auto& r : m.related_many_to_many())
    names.insert(r.accessor);
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

Step resolve_step(const ModelMeta& m, std::string_view name, std::string_view path) {
  if (const FieldInfo* f = m.find_field(name); f && f->is_relation()) {
    return {Kind::ForwardKey, &f->related_model(), f, nullptr, f->name};
  }
  if (const ManyToManyInfo* f = m.find_many_to_many(name)) {
    return {Kind::ManyToMany, &f->related_model(), nullptr, f, f->name};
  }
  for (auto& r : m.related_objects()) {
    if (r.accessor == name && r.field->type != FieldType::OneToOneField)
      return {Kind::ReverseKey, r.model, r.field, nullptr, r.accessor};
  }
  for (auto& r : m.related_many_to_many()) {
    if (r.accessor == name) return {Kind::ReverseManyToMany, r.model, nullptr, r.field, r.accessor};
  }
  throw FieldError(fmt::format(
      "Cannot find '{}' on {} object, '{}' is an invalid parameter to prefetch_related(). Choices are: {}",
      name, m.object_name, path, choices_of(m)));
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto pos = path.find("__", start);
    out.push_back(path.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 2;
  }
}

ModelState& state_of(const ModelMeta& m, void* obj) {
  return *reinterpret_cast<ModelState*>(static_cast<char*>(obj) + m.state_offset);
}

// Runs `q` and appends each row as a fresh instance of its model to `list`.
void load_into(const Query& q, void* list) {
  const ModelMeta& m = *q.model;
  run_select(q, [&](const Row& row, const SelectPlan& plan) {
    void* obj = m.ops.emplace(list);
    hydrate(m, obj, state_of(m, obj), row, plan, q.alias);
  });
}

// Loads the step's related rows for `objs` and stores them; returns the instances now held by `objs`
// (for the next step of a path).
std::vector<void*> prefetch_step(const ModelMeta& meta, const std::vector<void*>& objs, const Step& step,
                                 const std::string& alias) {
  const ModelMeta& target = *step.target;
  if (!target.ops.new_list) {
    throw NotSupportedError(fmt::format("prefetch_related(): {} has no C++ type", target.object_name));
  }
  // The keys to look up: the instances' own keys, or (forward key) the values they hold.
  std::vector<Value> keys;
  std::set<Value> seen;
  for (void* o : objs) {
    Value k = step.kind == Kind::ForwardKey ? step.key->value_of(o) : meta.pk().value_of(o);
    if (!k.is_null() && seen.insert(k).second) keys.push_back(std::move(k));
  }
  // The column naming which instance a loaded row belongs to, and the lookup selecting them.
  std::string lookup;
  switch (step.kind) {
    case Kind::ForwardKey:
      lookup = "pk";
      break;
    case Kind::ReverseKey:
      lookup = step.key->name;
      break;
    case Kind::ManyToMany:
      // From the target back to the owner: "posts__pk" (reverse query name) through the through table.
      lookup =
          (step.m2m->related_name.empty() ? step.m2m->model->model_name : step.m2m->related_name) + "__pk";
      break;
    case Kind::ReverseManyToMany:
      lookup = step.m2m->name + "__pk";
      break;
  }
  bool m2m = step.kind == Kind::ManyToMany || step.kind == Kind::ReverseManyToMany;
  auto loaded = target.ops.new_list();
  for (std::size_t i = 0; i < keys.size(); i += kBatch) {
    Query q(target);
    q.alias = alias;
    std::vector<Value> batch(keys.begin() + i, keys.begin() + std::min(keys.size(), i + kBatch));
    q.add_q(Q(lookup + "__in", Expr(std::move(batch))), false);
    if (m2m) q.add_annotations({{kSourceKey, F(lookup)}});
    load_into(q, loaded.get());
  }
  std::size_t n = target.ops.size(loaded.get());
  // owner key → indexes of its rows in `loaded`, in the query's order.
  std::map<Value, std::vector<std::size_t>> by_owner;
  for (std::size_t i = 0; i < n; ++i) {
    void* row = target.ops.at(loaded.get(), i);
    Value owner;
    if (step.kind == Kind::ForwardKey) {
      owner = target.pk().value_of(row);
    } else if (step.kind == Kind::ReverseKey) {
      owner = step.key->value_of(row);
    } else {
      auto& anns = state_of(target, row).annotations;
      for (auto it = anns.begin(); it != anns.end(); ++it) {
        if (it->first == kSourceKey) {
          owner = it->second;
          anns.erase(it);
          break;
        }
      }
    }
    by_owner[owner].push_back(i);
  }
  std::vector<void*> held;
  for (void* o : objs) {
    if (step.kind == Kind::ForwardKey) {
      Value k = step.key->value_of(o);
      auto it = by_owner.find(k);
      if (k.is_null() || it == by_owner.end()) continue;  // NULL or dangling key: left to load lazily
      void* cached = step.key->make_related(step.key->member(o));
      target.ops.assign(cached, target.ops.at(loaded.get(), it->second.front()));
      held.push_back(cached);
      continue;
    }
    auto list = target.ops.new_list();
    if (auto it = by_owner.find(meta.pk().value_of(o)); it != by_owner.end()) {
      for (auto i : it->second)
        target.ops.push_copy(list.get(), target.ops.at(loaded.get(), i));
    }
    for (std::size_t i = 0, size = target.ops.size(list.get()); i < size; ++i)
      held.push_back(target.ops.at(list.get(), i));
    state_of(meta, o).set_prefetched(step.cache_name, std::move(list));
  }
  return held;
}

void prefetch_path(const ModelMeta& meta, const std::vector<void*>& objs, std::vector<std::string_view> parts,
                   std::size_t i, const std::string& full, const std::string& alias) {
  if (i >= parts.size() || objs.empty()) return;
  Step step = resolve_step(meta, parts[i], full);
  auto held = prefetch_step(meta, objs, step, alias);
  prefetch_path(*step.target, held, std::move(parts), i + 1, full, alias);
}

}  // namespace

void prefetch_related_objects(const ModelMeta& meta, const std::vector<void*>& objs,
                              const std::vector<std::string>& lookups, const std::string& alias) {
  // A prefix shared by several paths ("tags" of "tags" and "tags__posts") is loaded once: the longest
  // path through it loads it and its continuation.
  std::vector<std::string> paths;
  for (auto& p : lookups) {
    bool covered = false;
    for (auto& other : lookups) {
      if (other.size() > p.size() && other.compare(0, p.size(), p) == 0 &&
          other.compare(p.size(), 2, "__") == 0)
        covered = true;
    }
    if (!covered && std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(p);
  }
  for (auto& p : paths)
    prefetch_path(meta, objs, split(p), 0, p, alias);
}

}  // namespace detail

void Query::add_prefetch_related(std::vector<std::string> paths) {
  if (paths.empty()) {
    prefetch_related.clear();
    return;
  }
  for (auto& p : paths) {
    const ModelMeta* cur = model;
    for (auto part : detail::split(p))
      cur = detail::resolve_step(*cur, part, p).target;
    if (std::find(prefetch_related.begin(), prefetch_related.end(), p) == prefetch_related.end())
      prefetch_related.push_back(p);
  }
}

}  // namespace duet::db
