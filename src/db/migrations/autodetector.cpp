#include "duet/db/migrations/autodetector.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

namespace duet::db::migrations {

namespace {

std::vector<const ModelState*> models_of(const ProjectState& s, const std::string& app) {
  std::vector<const ModelState*> out;
  for (auto& [k, m] : s.models())
    if (m.app_label == app) out.push_back(&m);
  return out;
}

// Models in an order where a key's target (within the same app) comes before the key's model.
std::vector<const ModelState*> dependency_order(std::vector<const ModelState*> models) {
  std::vector<const ModelState*> out;
  std::set<std::string> placed;
  while (!models.empty()) {
    auto ready = std::find_if(models.begin(), models.end(), [&](const ModelState* m) {
      auto ready_for = [&](const std::string& to) {
        if (to.empty() || to == m->label()) return true;
        bool in_set =
            std::any_of(models.begin(), models.end(), [&](const ModelState* o) { return o->label() == to; });
        return !in_set || placed.count(to) > 0;
      };
      return std::all_of(m->fields.begin(), m->fields.end(),
                         [&](const Field& f) { return ready_for(f.to); }) &&
             std::all_of(m->many_to_many.begin(), m->many_to_many.end(),
                         [&](const ThroughTable& t) { return ready_for(t.to); });
    });
    if (ready == models.end()) ready = models.begin();  // a cycle: keep declaration order
    placed.insert((*ready)->label());
    out.push_back(*ready);
    models.erase(ready);
  }
  return out;
}

bool same_index(const Index& a, const Index& b) {
  return a.fields == b.fields && a.name == b.name;
}
bool same_constraint(const Constraint& a, const Constraint& b) {
  if (a.index() != b.index()) return false;
  if (auto* u = std::get_if<UniqueConstraint>(&a)) {
    auto& v = std::get<UniqueConstraint>(b);
    return u->fields == v.fields && u->name == v.name;
  }
  auto& c = std::get<CheckConstraint>(a);
  auto& d = std::get<CheckConstraint>(b);
  return c.check == d.check && c.name == d.name;
}

}  // namespace

std::vector<Operation> MigrationAutodetector::operations(const std::string& app) const {
  std::vector<Operation> removals, creates, field_ops, additions, deletes;
  for (const ModelState* old : models_of(from_, app)) {
    const ModelState* now = to_.find(app, old->name);
    if (!now) continue;
    const std::string model = old->name_lower();
    // Indexes and constraints that went away or changed are removed before their fields can go.
    for (auto& i : old->options.indexes) {
      auto* n = now->find_index(i.name);
      if (!n || !same_index(*n, i)) removals.push_back(RemoveIndex(model, i.name));
    }
    for (auto& c : old->options.constraints) {
      auto* n = now->find_constraint(constraint_name(c));
      if (!n || !same_constraint(*n, c))
        removals.push_back(RemoveConstraint(model, std::string(constraint_name(c))));
    }
    for (auto& f : old->fields)
      if (!now->find_field(f.name)) field_ops.push_back(RemoveField(model, f.name));
    auto through_of = [](const ModelState& m, const std::string& name) -> const ThroughTable* {
      for (auto& t : m.many_to_many)
        if (t.field == name) return &t;
      return nullptr;
    };
    for (auto& t : old->many_to_many) {
      auto* n = through_of(*now, t.field);
      if (!n || !(*n == t)) field_ops.push_back(RemoveManyToMany(model, t.field));
    }
    for (auto& t : now->many_to_many) {
      auto* o = through_of(*old, t.field);
      if (!o || !(*o == t)) field_ops.push_back(AddManyToMany(model, t));
    }
    // Django's order: removed, added, then altered fields.
    for (auto& f : now->fields)
      if (!old->find_field(f.name)) field_ops.push_back(AddField(model, f));
    for (auto& f : now->fields) {
      const Field* was = old->find_field(f.name);
      if (was && !(*was == f)) field_ops.push_back(AlterField(model, f));
    }
    for (auto& i : now->options.indexes) {
      auto* o = old->find_index(i.name);
      if (!o || !same_index(*o, i)) additions.push_back(AddIndex(model, i));
    }
    for (auto& c : now->options.constraints) {
      auto* o = old->find_constraint(constraint_name(c));
      if (!o || !same_constraint(*o, c)) additions.push_back(AddConstraint(model, c));
    }
  }
  std::vector<const ModelState*> added;
  for (const ModelState* m : models_of(to_, app))
    if (!from_.find(app, m->name)) added.push_back(m);
  for (const ModelState* m : dependency_order(added))
    creates.push_back(CreateModel(m->name, m->fields, m->options, m->many_to_many));
  std::vector<const ModelState*> removed;
  for (const ModelState* m : models_of(from_, app))
    if (!to_.find(app, m->name)) removed.push_back(m);
  auto order = dependency_order(removed);
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    deletes.push_back(DeleteModel((*it)->name));

  std::vector<Operation> out;
  for (auto* list : {&removals, &creates, &field_ops, &additions, &deletes})
    out.insert(out.end(), list->begin(), list->end());
  return out;
}

std::string migration_name(const std::optional<std::string>& previous, const std::vector<Operation>& ops,
                           bool initial) {
  int number = 1;
  if (previous) {
    int n = 0;
    for (char c : *previous) {
      if (c < '0' || c > '9') break;
      n = n * 10 + (c - '0');
      if (n > 99999) break;
    }
    number = n + 1;
  }
  std::string fragment;
  if (initial) {
    fragment = "initial";
  } else {
    for (auto& op : ops)
      fragment += (fragment.empty() ? "" : "_") + op->name_fragment();
    if (fragment.size() > 52) {
      auto now = std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now());
      fragment = fmt::format("auto_{:%Y%m%d_%H%M}", now);
    }
  }
  return fmt::format("{:04d}_{}", number, fragment);
}

std::vector<Migration> MigrationAutodetector::changes(const MigrationLoader& loader,
                                                      const std::set<std::string>& apps,
                                                      const std::optional<std::string>& name) const {
  std::set<std::string> all;
  for (auto& [k, m] : to_.models())
    all.insert(m.app_label);
  for (auto& [k, m] : from_.models())
    all.insert(m.app_label);
  std::vector<Migration> out;
  for (auto& app : all) {
    if (!apps.empty() && !apps.count(app)) continue;
    auto ops = operations(app);
    if (ops.empty()) continue;
    Migration m;
    m.app = app;
    auto leaf = loader.leaf(app);
    if (leaf) m.dependencies.push_back(*leaf);
    // New keys into other apps depend on those apps' current state.
    std::set<std::string> other_apps;
    for (auto& op : ops) {
      std::vector<const Field*> fields;
      if (auto* c = op.as<CreateModel>())
        for (auto& f : c->fields)
          fields.push_back(&f);
      if (auto* a = op.as<AddField>()) fields.push_back(&a->field);
      if (auto* a = op.as<AlterField>()) fields.push_back(&a->field);
      for (auto* f : fields) {
        if (!f->is_relation()) continue;
        auto target_app = f->to.substr(0, f->to.find('.'));
        if (target_app != app) other_apps.insert(target_app);
      }
    }
    for (auto& other : other_apps)
      if (auto l = loader.leaf(other)) m.dependencies.push_back(*l);
    m.name = migration_name(leaf ? std::optional(leaf->name) : std::nullopt, ops, !leaf);
    if (name) m.name = m.name.substr(0, 5) + *name;
    m.operations = std::move(ops);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace duet::db::migrations
